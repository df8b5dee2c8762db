import type { Knex } from 'knex';
import type { AuthUser } from '../../platform/http/auth-context.js';
import { visibleDeviceIds } from './access.policy.js';

/**
 * The access policy's `chat.read`, shaped for the conversation reads (access.policy.ts decides, these only plan): the policy's
 * `visibleChatIds` is one set of ids, which would make a list compute every visible chat before its
 * first page. Reads instead walk each visible device's index (a LATERAL per device) plus the
 * chats shared with the caller — the same two sets, never a scan of all chats.
 */
export type Viewer = Pick<AuthUser, 'id' | 'orgId'>;

/** The caller's visible devices with how they relate to each (owner, agent, viewer). */
export function visibleDevicesWithAccess(db: Knex, user: Viewer, deviceId?: string) {
  const q = db
    .select('d.id', db.raw(`CASE WHEN d.owner_id = ? THEN 'owner' ELSE m.role END AS access`, [user.id]))
    .from('devices as d')
    .leftJoin('device_members as m', (j) => j.on('m.device_id', 'd.id').andOnVal('m.user_id', user.id))
    .whereIn('d.id', visibleDeviceIds(db, user));
  if (deviceId) q.andWhere('d.id', deviceId);
  return q;
}

/**
 * Chats shared with the caller on live devices of their org that they do not otherwise see.
 * `visibleIds`: the caller's visible device ids when already fetched (saves planning a subquery).
 */
export function sharedOnlyChatIds(db: Knex, user: Viewer, deviceId?: string, visibleIds?: string[]) {
  const q = db
    .select('s.chat_id')
    .from('chat_shares as s')
    .join('chats as c', 'c.id', 's.chat_id')
    .join('devices as d', 'd.id', 'c.device_id')
    .where('s.grantee_id', user.id)
    .andWhere('d.org_id', user.orgId)
    .whereNull('d.deleted_at')
    // The ids as one array binding: the statement's text stays the same whatever their number (it is prepared).
    .where((w) => (visibleIds ? w.whereRaw('c.device_id <> ALL(?::uuid[])', [visibleIds]) : w.whereNotIn('c.device_id', visibleDeviceIds(db, user))));
  if (deviceId) q.andWhere('c.device_id', deviceId);
  return q;
}

/** `alias` is a visible, not deleted message (for search and stats, which scan by other indexes). */
export function visibleMessage(db: Knex, user: Viewer, alias = 'm') {
  return db.raw(`(??.device_id IN ? OR ??.chat_id IN ?) AND ??.org_id = ? AND ??.deleted_at IS NULL`, [
    alias,
    visibleDeviceIds(db, user),
    alias,
    sharedOnlyChatIds(db, user),
    alias,
    user.orgId,
    alias,
  ]);
}
