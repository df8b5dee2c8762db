import type { Knex } from 'knex';
import type { ChatRow, ChatAccessName } from './chats.presenter.js';
import type { MessageRow } from '../messages/messages.presenter.js';
import { MESSAGE_COLUMNS, REACTIONS, type WithReactions } from '../messages/messages.presenter.js';
import { sharedOnlyChatIds, visibleDevicesWithAccess, type Viewer } from '../access/access.queries.js';
import { preparedQuery } from '../../platform/db/prepared.js';

/** The list's sort key: chats without messages last (see the chats_device_recent_idx index). */
const RECENT = `coalesce(c.last_message_at, '-infinity'::timestamptz)`;

/** The number behind a chat: its JID's digits, or the LID map's number for a `@lid` chat. */
const CHAT_PHONE = `coalesce(wa_jid_phone(c.jid),
  (SELECT wa_jid_phone(l.phone_jid) FROM lid_map l WHERE l.device_id = c.device_id AND l.lid = c.jid))`;

export type ListedChat = ChatRow & { access: ChatAccessName; k: string };

/** The columns a listed chat shows (`ChatRow`); with `c.*`, a page of 50 parsed three unused timestamps per row. */
const LISTED: (keyof ChatRow)[] = ['id', 'device_id', 'jid', 'name', 'is_group', 'last_message_at', 'last_message_id', 'last_message_preview', 'unread_count'];
const listed = (alias: string) => LISTED.map((col) => `${alias}.${col}`).join(', ');
const LISTED_C = listed('c');
const LISTED_X = listed('x');

export interface ChatFilter {
  deviceId?: string;
  unread?: boolean;
  favorite?: boolean;
  q?: string;
  /** Leave out channels (@newsletter) and status broadcasts (@broadcast). */
  hideChannels?: boolean;
  limit: number;
  after?: [string, number]; // (sort key as text, id) of the last row of the previous page
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => '\\' + c);

/** One chat-level condition (alias `c`) from the filters, used by both branches of the list. */
function conditions(db: Knex, user: Viewer, f: ChatFilter): Knex.Raw {
  // A chat started by number is listed once something is in it, as in WhatsApp: a message (which sets
  // last_message_at) or a system line (a call, a group event: no preview, so no last_message_at). Groups
  // always. The EXISTS runs only for the few chats with no last message, at the end of the walk.
  const parts: string[] = ['(c.last_message_at IS NOT NULL OR c.is_group OR EXISTS (SELECT 1 FROM messages m WHERE m.chat_id = c.id AND m.deleted_at IS NULL))'];
  const binds: Knex.RawBinding[] = [];
  if (f.unread) parts.push('c.unread_count > 0');
  if (f.hideChannels) parts.push(`c.jid NOT LIKE '%@newsletter' AND c.jid NOT LIKE '%@broadcast'`);
  if (f.q) {
    const pat = `%${escapeLike(f.q)}%`;
    const digits = f.q.replace(/\D/g, '');
    const or = [`c.name ILIKE ?`];
    binds.push(pat);
    if (digits.length >= 3) {
      or.push(`split_part(c.jid, '@', 1) LIKE ?`);
      binds.push(`%${digits}%`);
    }
    // The CRM name is what the list shows next to a number, so it is searched too.
    or.push(`${CHAT_PHONE} IN (SELECT ct.phone_e164 FROM contacts ct WHERE ct.org_id = ? AND ct.deleted_at IS NULL AND ct.name ILIKE ?)`);
    binds.push(user.orgId, pat);
    parts.push(`(${or.join(' OR ')})`);
  }
  if (f.favorite) {
    parts.push(`(c.id::text IN (SELECT f.target_id FROM favorites f WHERE f.user_id = ? AND f.target_type = 'chat')
      OR ${CHAT_PHONE} IN (SELECT ct.phone_e164 FROM favorites f JOIN contacts ct ON ct.id::text = f.target_id
                            WHERE f.user_id = ? AND f.target_type = 'contact' AND ct.org_id = ? AND ct.deleted_at IS NULL))`);
    binds.push(user.id, user.id, user.orgId);
  }
  if (f.after) {
    parts.push(`(${RECENT}, c.id) < (?::timestamptz, ?::bigint)`);
    binds.push(f.after[0], f.after[1]);
  }
  return db.raw(parts.join(' AND '), binds);
}

/**
 * A page of the caller's chats by last activity. Each visible device walks its own index for at
 * most `limit + 1` rows (LATERAL), shared chats are added, and the union is cut to the page: the
 * cost follows the page size and the number of devices, not the number of chats.
 */
export async function listChats(db: Knex, user: Viewer, f: ChatFilter): Promise<ListedChat[]> {
  const n = f.limit + 1;
  const cond = conditions(db, user, f);
  // The visible devices first, as a small query of their own: the list statement then plans in a
  // fraction of the time a nested policy subquery costs, and planning dominates a 50-row page.
  const devices = (await preparedQuery(db, visibleDevicesWithAccess(db, user, f.deviceId))).rows as { id: string; access: ChatAccessName }[];
  const ids = devices.map((d) => d.id);
  const { rows } = await preparedQuery(db, db.raw(
    `SELECT ${LISTED_X}, x.k, x.access FROM (
       SELECT l.*, dev.access FROM unnest(?::uuid[], ?::text[]) AS dev(id, access) CROSS JOIN LATERAL (
         SELECT ${LISTED_C}, ${RECENT} AS sk, (${RECENT})::text AS k FROM chats c WHERE c.device_id = dev.id AND ?
         ORDER BY ${RECENT} DESC, c.id DESC LIMIT ?) l
       UNION ALL
       SELECT ${LISTED_C}, ${RECENT} AS sk, (${RECENT})::text AS k, 'grantee' AS access FROM chats c WHERE c.id IN ? AND ?
     ) x ORDER BY x.sk DESC, x.id DESC LIMIT ?`,
    [ids, devices.map((d) => d.access), cond, n, sharedOnlyChatIds(db, user, f.deviceId, ids), cond, n],
  ));
  // `k` is the sort key as PostgreSQL's text: a JS Date would drop microseconds and skip or repeat rows.
  return rows as ListedChat[];
}

export const getChat = (db: Knex, id: number) => db<ChatRow>('chats').where({ id }).first();

/** The user's pins: chat ids and CRM contact ids. */
export async function favoritesOf(db: Knex, userId: string) {
  const { rows } = await preparedQuery(db, db('favorites').where({ user_id: userId }).select('target_type', 'target_id'));
  return {
    chats: new Set(rows.filter((r) => r.target_type === 'chat').map((r) => r.target_id)),
    contacts: new Set(rows.filter((r) => r.target_type === 'contact').map((r) => r.target_id)),
  };
}

export type PagedMessage = MessageRow & WithReactions & { k: string };

/** A conversation page, newest first, keyset on (sent_at, id) with the exact timestamp text. */
export async function messagesPage(db: Knex, chatId: number, limit: number, before?: [string, number]): Promise<PagedMessage[]> {
  const { rows } = await preparedQuery(db, db.raw(
    `SELECT ${MESSAGE_COLUMNS}, ${REACTIONS}, m.sent_at::text AS k FROM messages m
      WHERE m.chat_id = ? AND m.deleted_at IS NULL ${before ? 'AND (m.sent_at, m.id) < (?::timestamptz, ?::bigint)' : ''}
      ORDER BY m.sent_at DESC, m.id DESC LIMIT ?`,
    before ? [chatId, before[0], before[1], limit + 1] : [chatId, limit + 1],
  ));
  return rows;
}

/**
 * Messages newer than a key, oldest first (the caller reverses): keyset on (sent_at, id) like
 * `messagesPage`; `inclusive` takes the key's own row too (a page around a message starts at it).
 */
export async function messagesNewer(db: Knex, chatId: number, limit: number, after: [string, number], inclusive = false): Promise<PagedMessage[]> {
  const { rows } = await preparedQuery(db, db.raw(
    `SELECT ${MESSAGE_COLUMNS}, ${REACTIONS}, m.sent_at::text AS k FROM messages m
      WHERE m.chat_id = ? AND m.deleted_at IS NULL AND (m.sent_at, m.id) ${inclusive ? '>=' : '>'} (?::timestamptz, ?::bigint)
      ORDER BY m.sent_at ASC, m.id ASC LIMIT ?`,
    [chatId, after[0], after[1], limit + 1],
  ));
  return rows;
}

/** The keyset position of one message of a chat (null when it is not there, or hidden). */
export async function messageKey(db: Knex, chatId: number, messageId: number): Promise<[string, number] | null> {
  const { rows } = await db.raw(`SELECT m.sent_at::text AS k, m.id FROM messages m WHERE m.id = ? AND m.chat_id = ? AND m.deleted_at IS NULL`, [messageId, chatId]);
  return rows[0] ? [rows[0].k, Number(rows[0].id)] : null;
}

/** Sets the unread count to 0; returns the chat before and after (null if it vanished). */
export async function markRead(trx: Knex, chatId: number) {
  const before = await trx<ChatRow>('chats').where({ id: chatId }).forUpdate().first();
  if (!before) return null;
  if (before.unread_count === 0) return { before, after: before };
  const [after] = await trx<ChatRow>('chats').where({ id: chatId }).update({ unread_count: 0, updated_at: trx.fn.now() } as never).returning('*');
  return { before, after: after as ChatRow };
}

/** The newest incoming messages of a chat, to tell the engine they were seen. */
export const lastIncoming = (db: Knex, chatId: number, n: number) =>
  db<MessageRow & { engine_full_id: string | null }>('messages')
    .where({ chat_id: chatId, direction: 'in' })
    .whereNull('deleted_at')
    .whereNotNull('engine_message_id')
    .orderBy([{ column: 'sent_at', order: 'desc' }, { column: 'id', order: 'desc' }])
    .limit(n)
    .select('engine_message_id', 'engine_full_id', 'sender_jid');

/** The device's chat with `jid`, created when missing (`created` tells which). */
export async function findOrCreateChat(db: Knex, orgId: string, deviceId: string, jid: string): Promise<{ chat: ChatRow; created: boolean }> {
  const { rows } = await db.raw(
    `WITH ins AS (
       INSERT INTO chats (org_id, device_id, jid, is_group) VALUES (?, ?, ?, false)
       ON CONFLICT (device_id, jid) DO NOTHING RETURNING *)
     SELECT ins.*, true AS created FROM ins
     UNION ALL SELECT c.*, false AS created FROM chats c WHERE c.device_id = ? AND c.jid = ? AND NOT EXISTS (SELECT 1 FROM ins)`,
    [orgId, deviceId, jid, deviceId, jid],
  );
  const { created, ...chat } = rows[0];
  return { chat: chat as ChatRow, created: !!created };
}

export const deviceOf = (db: Knex, id: string) => db('devices').where({ id }).whereNull('deleted_at').first();
