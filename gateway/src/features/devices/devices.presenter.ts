import type { DeviceRow } from './devices.repository.js';

export type DeviceAccessName = 'owner' | 'agent' | 'viewer' | 'admin';

/** The device-state model as the device schema and its `device.status` events both show it. */
export const presentDeviceState = (d: DeviceRow) => ({
  status: d.status,
  statusDetail: d.status_detail ?? null,
  engineReachable: d.engine_reachable ?? true,
  engineCheckedAt: d.engine_checked_at ? new Date(d.engine_checked_at).toISOString() : null,
  phone: d.phone,
  pushName: d.push_name,
});

/** What a browser may know of a device: never its engine token or webhook key. */
export const presentDevice = (d: DeviceRow, access: DeviceAccessName) => ({
  id: d.id,
  name: d.name,
  engine: d.engine,
  engineSession: d.engine_session,
  ...presentDeviceState(d),
  ownerId: d.owner_id,
  access,
  statusAt: d.status_at.toISOString(),
  connectedAt: d.connected_at ? d.connected_at.toISOString() : null,
  createdAt: d.created_at.toISOString(),
});
