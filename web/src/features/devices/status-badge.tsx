import type { Device, DeviceStatus } from './devices.api';

const TEXT: Record<DeviceStatus, string> = {
  starting: 'Starting',
  qr: 'Waiting for scan',
  connected: 'Connected',
  disconnected: 'Disconnected',
  logged_out: 'Logged out',
  failed: 'Failed',
  needs_attention: 'Needs attention',
};

/** What a person should know beside the badge: the engine's word for a state we do not know, or an outage. */
export function statusNote(d: Pick<Device, 'status' | 'statusDetail' | 'engineReachable' | 'engineCheckedAt'>): string | null {
  const since = d.engineCheckedAt ? ` (checked ${new Date(d.engineCheckedAt).toLocaleTimeString()})` : '';
  if (d.engineReachable === false) return `The engine cannot be reached${since}; the phone’s last known state is shown.`;
  if (d.status === 'needs_attention') return `The engine reports ${d.statusDetail ?? 'a state the gateway does not know'}: open WhatsApp on the phone (e.g. confirm a passkey) or pair the device again.`;
  return null;
}

export function StatusBadge({ status, statusDetail, engineReachable }: { status: DeviceStatus; statusDetail?: string | null; engineReachable?: boolean }) {
  return (
    <span className="badges">
      <span className={`badge badge-${status}`} title={statusDetail ?? undefined} data-testid="device-status">
        {TEXT[status] ?? status}
      </span>
      {engineReachable === false && (
        <span className="badge badge-unreachable" data-testid="engine-unreachable">
          Engine unreachable
        </span>
      )}
    </span>
  );
}
