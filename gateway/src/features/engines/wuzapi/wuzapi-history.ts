// Rows of WuzAPI's GET /chat/history → EngineMessages (handlers.go GetHistory, db.go HistoryMessage at
// upstream commit 30c1805720c630b4ecfc842dd3ff63966c3ba315):
//   {id, user_id, chat_jid, sender_jid, message_id, timestamp, message_type, text_content, media_link,
//    quoted_message_id?, data_json}
// `timestamp` is when WuzAPI saved the row; the message itself is `data_json`, a JSON string holding the
// events.Message (Info.Timestamp is the message's time), read by the same mapping as live webhooks.
// Rows of API sends have sender_jid "me" and an empty data_json: only the columns tell them.
import type { EngineMessage } from '../engine.types.js';
import { bool, dateOf, isObj, str, type Obj } from '../engine-http.js';
import { isGroup, toCanonical } from '../jid.js';
import { wuzMessage } from './wuzapi-map.js';

/** message_type values that are not messages of their own (wmiau.go saves reactions and deletes too). */
const NOT_MESSAGES = new Set(['reaction', 'delete', 'edit']);
const TYPES = ['text', 'image', 'video', 'audio', 'document', 'sticker', 'location', 'contact'] as const;

/** `me`: our own JID, for rows WuzAPI wrote as sender "me". */
export function historyRowMessage(row: Obj, me: string | null): EngineMessage | null {
  const kind = (str(row.message_type) ?? 'text').toLowerCase();
  if (NOT_MESSAGES.has(kind)) return null;
  const dataJson = str(row.data_json);
  if (dataJson) {
    let event: unknown = null;
    try {
      event = JSON.parse(dataJson);
    } catch {
      event = null; // read from the columns below
    }
    if (isObj(event)) {
      const m = wuzMessage(event, {});
      if (m) return m;
    }
  }
  const id = str(row.message_id);
  const chatJid = toCanonical(str(row.chat_jid));
  if (!id || !chatJid) return null;
  const sender = str(row.sender_jid);
  const fromMe = sender === 'me' || bool(row.from_me);
  const type = TYPES.find((t) => t === kind) ?? 'other';
  const text = str(row.text_content);
  const media = str(row.media_link);
  const isMedia = ['image', 'video', 'audio', 'document', 'sticker'].includes(type);
  return {
    id,
    engineFullId: null,
    chatJid,
    senderJid: fromMe ? me : toCanonical(sender),
    fromMe,
    timestamp: dateOf(row.timestamp) ?? new Date(),
    type,
    // ":image:" and the like are WuzAPI's placeholders for media without a caption.
    body: text && !/^:[a-z_]+:$/.test(text) ? text : null,
    media: isMedia || media ? { mimetype: null, url: media, filename: null } : null,
    replyToId: str(row.quoted_message_id),
    pushName: null,
    source: fromMe ? 'api' : null,
    ack: null,
    isGroup: isGroup(chatJid),
  };
}
