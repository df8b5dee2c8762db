// WuzAPI's message_history table, as the real server fills and serves it (asternic/wuzapi, read at
// upstream commit 30c1805720c630b4ecfc842dd3ff63966c3ba315 through the zapperapi/wuzapi fork):
// - rows are saved by wmiau.go myEventHandler: a live `Message` when the user's `history` > 0 (then
//   trimmed per chat to `history` rows, db.go trimMessageHistory), every `HistorySync` message
//   (never trimmed), and API sends (handlers.go saveOutgoingMessageToHistory: sender_jid "me",
//   empty data_json);
// - `timestamp` is when the row was saved (db.go saveMessageToHistory: time.Now()), not the message's
//   time, which is `Info.Timestamp` inside `data_json`;
// - UNIQUE(user_id, message_id): a message saved twice keeps its first row.
import type { SimContext } from '../context.js';
import type { SimMessage } from '../state/account.js';
import { isGroupKey } from '../state/account.js';
import type { WuzUser } from '../state/store.js';

export interface HistoryRow {
  id: number;
  user_id: string;
  chat_jid: string;
  sender_jid: string;
  message_id: string;
  /** Saved at, ms. */
  savedAt: number;
  message_type: string;
  text_content: string;
  media_link: string;
  quoted_message_id: string;
  data_json: string;
}

/** wmiau.go Message / HistorySync: the message_type column. */
export function historyTypeOf(m: SimMessage): string {
  if (!m.media) return 'text';
  const t = m.media.mimetype;
  return t.startsWith('image/') ? 'image' : t.startsWith('video/') ? 'video' : t.startsWith('audio/') ? 'audio' : 'document';
}

/** wmiau.go: text_content is the text or caption, else a ":<type>:" placeholder for media. */
export function historyTextOf(m: SimMessage): string {
  const type = historyTypeOf(m);
  return m.body || (type === 'text' ? '' : `:${type}:`);
}

/** Go's json.Marshal escapes <, >, & and U+2028/2029 inside strings; JSON.stringify does not. */
export function goJson(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function saveRow(ctx: SimContext, u: WuzUser, row: Omit<HistoryRow, 'id' | 'user_id' | 'savedAt'>): void {
  if (u.savedIds.has(row.message_id)) return; // UNIQUE(user_id, message_id): the insert fails, the first row stays
  u.savedIds.add(row.message_id);
  let list = u.saved.get(row.chat_jid);
  if (!list) u.saved.set(row.chat_jid, (list = []));
  list.push({ ...row, id: ++ctx.store.historySeq, user_id: u.id, savedAt: Date.now() });
}

/** db.go trimMessageHistory: keeps the newest `limit` rows of the chat (by saved time). */
export function trimRows(u: WuzUser, chatJid: string, limit: number): void {
  const list = u.saved.get(chatJid);
  if (!list || list.length <= limit) return;
  const dropped = newestFirst(list).slice(limit);
  for (const r of dropped) u.savedIds.delete(r.message_id);
  const keep = new Set(newestFirst(list).slice(0, limit));
  u.saved.set(chatJid, list.filter((r) => keep.has(r)));
}

/** ORDER BY timestamp DESC (ties: the later row first, as the SERIAL id grows). */
export const newestFirst = (list: HistoryRow[]) => [...list].sort((a, b) => b.savedAt - a.savedAt || b.id - a.id);

/** A row as handlers.go GetHistory marshals HistoryMessage (db.go): quoted_message_id is omitempty. */
export function rowJson(r: HistoryRow): Record<string, unknown> {
  return {
    id: r.id,
    user_id: r.user_id,
    chat_jid: r.chat_jid,
    sender_jid: r.sender_jid,
    message_id: r.message_id,
    timestamp: new Date(r.savedAt).toISOString(),
    message_type: r.message_type,
    text_content: r.text_content,
    media_link: r.media_link,
    ...(r.quoted_message_id ? { quoted_message_id: r.quoted_message_id } : {}),
    data_json: r.data_json,
  };
}

/**
 * handlers.go GetHistory, chat_jid=index: every user's chats on the server (no filter by the caller),
 * keyed by user id, each chat's newest saved time first; `limit` is not read there.
 */
export function historyIndex(ctx: SimContext): Record<string, { chat_jid: string; last_updated: string }[]> {
  const out: Record<string, { chat_jid: string; last_updated: string }[]> = {};
  for (const u of ctx.store.wuzapi.values()) {
    const chats = [...u.saved.entries()]
      .filter(([, rows]) => rows.length > 0)
      .map(([jid, rows]) => ({ jid, last: Math.max(...rows.map((r) => r.savedAt)) }))
      .sort((a, b) => b.last - a.last);
    if (chats.length) out[u.id] = chats.map((c) => ({ chat_jid: c.jid, last_updated: new Date(c.last).toISOString() }));
  }
  return out;
}

/** The sender_jid column of a live Message (evt.Info.Sender) or a HistorySync message (wmiau.go). */
export function senderColumn(ownerJid: string, m: SimMessage, chatJid: string, senderJid: string): string {
  if (m.fromMe) return ownerJid || 'me';
  return isGroupKey(m.chat) ? senderJid : chatJid;
}
