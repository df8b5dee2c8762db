import type { Knex } from 'knex';
import type { AuthUser } from '../../platform/http/auth-context.js';
import { preparedQuery } from '../../platform/db/prepared.js';

/**
 * The one answer to "who may see what". A device's chats are visible to its owner and its members,
 * to nobody else — org admins included; a chat shared read-only is also visible to its grantee.
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

/** May `user` read chat `chatId`? (Through its device, or a read-only share.) */
export async function canSeeChat(db: Knex, user: Pick<AuthUser, 'id' | 'orgId'>, chatId: number | string): Promise<boolean> {
  return (await chatAccess(db, user, chatId)) !== null;
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

/** How a user relates to a chat: through its device (owner, member agent or viewer), a read-only share, or not at all. */
export type ChatAccess = 'owner' | 'agent' | 'viewer' | 'grantee' | null;

/** May send into a chat (owner or agent); viewers and grantees read only. */
export const canSend = (a: ChatAccess) => a === 'owner' || a === 'agent';

/**
 * `canSend(chatAccess(...))` as a SQL condition on a chat's device `d`, for a write that checks who
 * may send in the same statement (one round trip). Its bindings, in order: `senderBindings(user)`.
 */
export const SENDER_SQL = `d.org_id = ? AND d.deleted_at IS NULL
  AND (d.owner_id = ? OR EXISTS (SELECT 1 FROM device_members sm WHERE sm.device_id = d.id AND sm.user_id = ? AND sm.role = 'agent'))`;
export const senderBindings = (user: Pick<AuthUser, 'id' | 'orgId'>) => [user.orgId, user.id, user.id];
/** May share a chat or delete its messages (owner or agent, never a grantee). */
export const canManage = (a: ChatAccess) => a === 'owner' || a === 'agent';

export async function chatAccess(db: Knex, user: Pick<AuthUser, 'id' | 'orgId'>, chatId: number | string): Promise<ChatAccess> {
  // Before every read of a chat: prepared, so it is not planned again on each request.
  const { rows } = await preparedQuery(db, db('chats as c')
    .join('devices as d', 'd.id', 'c.device_id')
    .leftJoin('device_members as m', (j) => j.on('m.device_id', 'd.id').andOnVal('m.user_id', user.id))
    .leftJoin('chat_shares as s', (j) => j.on('s.chat_id', 'c.id').andOnVal('s.grantee_id', user.id))
    .where({ 'c.id': chatId, 'd.org_id': user.orgId })
    .whereNull('d.deleted_at')
    .first('d.owner_id', 'm.role', 's.id as share_id'));
  const row = rows[0] as { owner_id: string; role: string | null; share_id: number | null } | undefined;
  if (!row) return null;
  if (row.owner_id === user.id) return 'owner';
  if (row.role) return row.role as ChatAccess;
  return row.share_id ? 'grantee' : null;
}

/**
 * Ids of every chat `user` may read: chats of their visible devices, and chats shared with them.
 * A subquery for `whereIn('chats.id', …)`; lists, search and stats all filter through it.
 */
export function visibleChatIds(db: Knex, user: Pick<AuthUser, 'id' | 'orgId'>) {
  return db
    .select('c.id')
    .from('chats as c')
    .whereIn('c.device_id', visibleDeviceIds(db, user))
    .union((u) =>
      u
        .select('s.chat_id')
        .from('chat_shares as s')
        .join('chats as c2', 'c2.id', 's.chat_id')
        .join('devices as d2', 'd2.id', 'c2.device_id')
        .where('s.grantee_id', user.id)
        .andWhere('d2.org_id', user.orgId)
        .whereNull('d2.deleted_at'),
    );
}

/** Everyone who may see a chat right now (for filtering pushed events at send time). */
export async function chatAudience(db: Knex, deviceId: string, chatId: number | null): Promise<string[]> {
  const users = new Set(await deviceAudience(db, deviceId));
  if (chatId !== null) for (const r of await db('chat_shares').where({ chat_id: chatId }).select('grantee_id')) users.add(r.grantee_id);
  return [...users];
}
