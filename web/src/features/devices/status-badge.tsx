import type { DeviceStatus } from './devices.api';

const TEXT: Record<DeviceStatus, string> = {
  starting: 'Starting',
  qr: 'Waiting for scan',
  connected: 'Connected',
  disconnected: 'Disconnected',
  logged_out: 'Logged out',
  failed: 'Failed',
};

export function StatusBadge({ status }: { status: DeviceStatus }) {
  return <span className={`badge badge-${status}`}>{TEXT[status] ?? status}</span>;
}
