import type { Role } from '../../platform/http/auth-context.js';
import { allows, relationOfDeviceRow } from '../access/access.policy.js';
import type { Knex } from 'knex';
import type { DeviceStatus, EngineKind } from '../engines/engine.types.js';

export interface DeviceRow {
  id: string;
  org_id: string;
  owner_id: string;
  name: string;
  engine: EngineKind;
  engine_session: string;
  engine_url: string | null;
  engine_token: string | null;
  engine_ref: string | null;
  webhook_secret: string;
  status: DeviceStatus;
  status_detail: string | null;
  engine_reachable: boolean;
  engine_checked_at: Date | null;
  jid: string | null;
  phone: string | null;
  push_name: string | null;
  status_at: Date;
  connected_at: Date | null;
  created_at: Date;
  deleted_at: Date | null;
}

export type DeviceWithAccess = DeviceRow & { member_role: 'agent' | 'viewer' | null };

const live = (db: Knex) => db<DeviceRow>('devices').whereNull('deleted_at');

export const findLive = (db: Knex, id: string) => live(db).where({ id }).first();

export async function insertDevice(db: Knex, row: Omit<DeviceRow, 'status_at' | 'connected_at' | 'created_at' | 'deleted_at' | 'jid' | 'phone' | 'push_name' | 'status' | 'status_detail' | 'engine_reachable' | 'engine_checked_at'>) {
  const [d] = await db<DeviceRow>('devices').insert(row).returning('*');
  return d as DeviceRow;
}

export async function updateDevice(db: Knex, id: string, patch: Partial<DeviceRow>) {
  const [d] = await live(db).where({ id }).update({ ...patch, updated_at: db.fn.now() } as never).returning('*');
  return d as DeviceRow | undefined;
}

/** Devices the user owns or is a member of; admins see every device of the org (metadata only). */
export function listForUser(db: Knex, user: { id: string; orgId: string; role: Role }) {
  const q = db('devices as d')
    .leftJoin('device_members as m', (j) => j.on('m.device_id', 'd.id').andOnVal('m.user_id', user.id))
    .where('d.org_id', user.orgId)
    .whereNull('d.deleted_at')
    .select<DeviceWithAccess[]>('d.*', 'm.role as member_role')
    .orderBy('d.created_at', 'asc');
  // The policy's device.read: owner, members, and org admins (who manage devices, not their chats).
  if (!allows('device.read', user.role, relationOfDeviceRow(user, '', null))) q.andWhere((w) => w.where('d.owner_id', user.id).orWhereNotNull('m.role'));
  return q;
}

export const getForUser = (db: Knex, user: { id: string; orgId: string; role: Role }, id: string) =>
  listForUser(db, user).where('d.id', id).first();

export const listMembers = (db: Knex, deviceId: string) =>
  db('device_members as m')
    .join('users as u', 'u.id', 'm.user_id')
    .where('m.device_id', deviceId)
    .whereNull('u.deleted_at')
    .orderBy('u.name')
    .select('m.user_id', 'm.role', 'u.name', 'u.email');

export const upsertMember = (db: Knex, deviceId: string, userId: string, role: string) =>
  db('device_members').insert({ device_id: deviceId, user_id: userId, role }).onConflict(['device_id', 'user_id']).merge({ role });

export const removeMember = (db: Knex, deviceId: string, userId: string) => db('device_members').where({ device_id: deviceId, user_id: userId }).del();

/** Every live device, for the reconcile loop. */
export const listLive = (db: Knex) => live(db).select('*');
