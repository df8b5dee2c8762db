import type { Knex } from 'knex';
import type { AuthUser } from '../../platform/http/auth-context.js';

/**
 * The one answer to "who may see what". A device's chats are visible to its owner and its members,
 * to nobody else — org admins included. (Read-only chat shares join here with the conversations issue.)
 *
 * Every list, read, socket event and proxied call goes through these functions.
 */
export type DeviceAccess = 'owner' | 'agent' | 'viewer' | null;

/** Ids of the devices whose chats `user` may read, as a subquery to put in `whereIn`. */
export function visibleDeviceIds(db: Knex, user: Pick<AuthUser, 'id' | 'orgId'>) {
  return db
    .select('d.id')
    .from('devices as d')
    .where('d.org_id', user.orgId)
    .whereNull('d.deleted_at')
    .andWhere((w) =>
      w.where('d.owner_id', user.id).orWhereExists(db.select(db.raw('1')).from('device_members as m').whereRaw('m.device_id = d.id').andWhere('m.user_id', user.id)),
    );
}

/** How `user` relates to one device: owner, member agent, member viewer, or nothing. */
export async function deviceAccess(db: Knex, user: Pick<AuthUser, 'id' | 'orgId'>, deviceId: string): Promise<DeviceAccess> {
  const row = await db('devices as d')
    .leftJoin('device_members as m', (j) => j.on('m.device_id', 'd.id').andOnVal('m.user_id', user.id))
    .where({ 'd.id': deviceId, 'd.org_id': user.orgId })
    .whereNull('d.deleted_at')
    .first('d.owner_id', 'm.role');
  if (!row) return null;
  if (row.owner_id === user.id) return 'owner';
  return (row.role as DeviceAccess) ?? null;
}

/** May `user` read chat `chatId`? (Chats of a visible device.) */
export async function canSeeChat(db: Knex, user: Pick<AuthUser, 'id' | 'orgId'>, chatId: number | string): Promise<boolean> {
  const row = await db('chats').where('id', chatId).whereIn('device_id', visibleDeviceIds(db, user)).first('id');
  return !!row;
}

/** Users who may see a device's chats (for filtering pushed events). */
export async function deviceAudience(db: Knex, deviceId: string): Promise<string[]> {
  const rows = await db
    .select('owner_id as user_id')
    .from('devices')
    .where('id', deviceId)
    .union((u) => u.select('user_id').from('device_members').where('device_id', deviceId));
  return rows.map((r: { user_id: string }) => r.user_id);
}
