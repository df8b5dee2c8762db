import type { Knex } from 'knex';
import { MESSAGE_COLUMNS, REACTIONS, type MessageRow, type WithReactions } from './messages.presenter.js';

export { MESSAGE_COLUMNS, REACTIONS, type WithReactions };
import { sharedOnlyChatIds, visibleDevicesWithAccess, visibleMessage, type Viewer } from '../access/access.queries.js';

export type LoggedMessage = MessageRow & WithReactions & { org_id: string; k: string };

export interface LogFilter {
  deviceId?: string;
  chatId?: number;
  direction?: 'in' | 'out';
  status?: string;
  from?: string;
  to?: string;
  since?: string;
  until?: string;
  limit: number;
  after?: [string, number];
}

function conditions(db: Knex, f: LogFilter): Knex.Raw {
  const parts = ['m.deleted_at IS NULL'];
  const binds: Knex.RawBinding[] = [];
  const add = (sql: string, ...b: Knex.RawBinding[]) => (parts.push(sql), binds.push(...b));
  if (f.chatId !== undefined) add('m.chat_id = ?', f.chatId);
  if (f.direction) add('m.direction = ?', f.direction);
  // `retrying` is a pending send whose last attempt failed (the stored status says pending).
  if (f.status === 'retrying') add(`m.status = 'pending' AND m.error IS NOT NULL`);
  else if (f.status) add('m.status = ?', f.status);
  if (f.from) add('m.sender_jid = ?', f.from);
  // To someone: our message in their chat, or theirs to our number.
  if (f.to)
    add(
      `((m.direction = 'out' AND EXISTS (SELECT 1 FROM chats tc WHERE tc.id = m.chat_id AND tc.jid = ?))
        OR (m.direction = 'in' AND EXISTS (SELECT 1 FROM devices td WHERE td.id = m.device_id AND td.jid = ?)))`,
      f.to,
      f.to,
    );
  if (f.since) add('m.sent_at >= ?::timestamptz', f.since);
  if (f.until) add('m.sent_at < ?::timestamptz', f.until);
  if (f.after) add('(m.sent_at, m.id) < (?::timestamptz, ?::bigint)', f.after[0], f.after[1]);
  return db.raw(parts.join(' AND '), binds);
}

/**
 * Message logs over everything the caller may see, newest first. Like the chat list, each visible
 * device (and each shared chat) walks its own time index for one page at most, then the union is cut.
 */
export async function listLog(db: Knex, user: Viewer, f: LogFilter): Promise<LoggedMessage[]> {
  const n = f.limit + 1;
  const cond = conditions(db, f);
  const { rows } = await db.raw(
    `SELECT x.*, ${REACTIONS.replaceAll('m.', 'x.')} FROM (
       SELECT l.* FROM ? dev CROSS JOIN LATERAL (
         SELECT ${MESSAGE_COLUMNS}, m.sent_at::text AS k FROM messages m WHERE m.device_id = dev.id AND ?
         ORDER BY m.sent_at DESC, m.id DESC LIMIT ?) l
       UNION ALL
       SELECT l.* FROM ? sh CROSS JOIN LATERAL (
         SELECT ${MESSAGE_COLUMNS}, m.sent_at::text AS k FROM messages m WHERE m.chat_id = sh.chat_id AND ?
         ORDER BY m.sent_at DESC, m.id DESC LIMIT ?) l
     ) x ORDER BY x.sent_at DESC, x.id DESC LIMIT ?`,
    [visibleDevicesWithAccess(db, user, f.deviceId), cond, n, sharedOnlyChatIds(db, user, f.deviceId), cond, n, n],
  );
  return rows;
}

export const chatsByIds = (db: Knex, ids: number[]) =>
  db('chats').whereIn('id', ids).select<{ id: number; name: string | null; jid: string; device_id: string }[]>('id', 'name', 'jid', 'device_id');

/** One message that is not deleted (its visibility is decided by the caller through its chat). */
export async function findMessage(db: Knex, id: number): Promise<(MessageRow & WithReactions & { org_id: string }) | undefined> {
  const { rows } = await db.raw(`SELECT ${MESSAGE_COLUMNS}, ${REACTIONS} FROM messages m WHERE m.id = ? AND m.deleted_at IS NULL`, [id]);
  return rows[0];
}

/** Hides a message for the org; returns it, or nothing when it was already gone. */
export async function softDelete(trx: Knex, id: number) {
  const { rows } = await trx.raw(
    `UPDATE messages m SET deleted_at = now(), updated_at = now() WHERE m.id = ? AND m.deleted_at IS NULL RETURNING ${MESSAGE_COLUMNS}`,
    [id],
  );
  return rows[0] as (MessageRow & { org_id: string }) | undefined;
}

/** If the hidden message was the chat's preview, the newest remaining message takes its place. */
export async function refreshPreview(trx: Knex, chatId: number, deletedId: number) {
  const { rows } = await trx.raw(
    `UPDATE chats c SET last_message_id = n.id, last_message_preview = n.preview, updated_at = now()
       FROM (SELECT (SELECT m.id FROM messages m WHERE m.chat_id = ? AND m.deleted_at IS NULL ORDER BY m.sent_at DESC, m.id DESC LIMIT 1) AS id) x
       LEFT JOIN LATERAL (SELECT m.id, coalesce(left(m.body, 140), '[' || m.type || ']') AS preview FROM messages m WHERE m.id = x.id) n ON true
      WHERE c.id = ? AND c.last_message_id = ?
      RETURNING c.*`,
    [chatId, chatId, deletedId],
  );
  return rows[0];
}

export interface StatsRow {
  day: string | null;
  direction: string | null;
  status: string | null;
  device_id: string | null;
  chat_id: number | null;
  n: number;
  gid: number;
}

/** GROUPING() of each set below (a bit per column left out): 15 day … 30 chat, 31 total. */
export const SETS = { day: 15, direction: 23, status: 27, device: 29, chat: 30, total: 31 } as const;

/** Counts per day (UTC), direction, status, device and the top 10 person chats, in one scan. */
export async function stats(db: Knex, user: Viewer, since: string, until: string): Promise<StatsRow[]> {
  const { rows } = await db.raw(
    `WITH v AS (
       SELECT to_char(m.sent_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, m.direction, m.status, m.device_id, m.chat_id, c.is_group
         FROM messages m JOIN chats c ON c.id = m.chat_id
        WHERE ? AND m.sent_at >= ?::timestamptz AND m.sent_at < ?::timestamptz),
     g AS (
       SELECT day, direction, status, device_id, chat_id, is_group, count(*)::int AS n, GROUPING(day, direction, status, device_id, chat_id) AS gid
         FROM v GROUP BY GROUPING SETS ((day), (direction), (status), (device_id), (chat_id, is_group), ()))
     SELECT day, direction, status, device_id, chat_id, n, gid FROM g WHERE gid <> ${SETS.chat}
     UNION ALL
     (SELECT day, direction, status, device_id, chat_id, n, gid FROM g WHERE gid = ${SETS.chat} AND NOT is_group ORDER BY n DESC, chat_id LIMIT 10)`,
    [visibleMessage(db, user), since, until],
  );
  return rows;
}

export const deviceNames = (db: Knex, ids: string[]) => db('devices').whereIn('id', ids).select<{ id: string; name: string }[]>('id', 'name');
