// WuzAPI (whatsmeow) shapes → the gateway's words: envelopes, status, protobuf-JSON messages,
// history rows and HistorySync items, receipts. Field names vary in case between versions: read both.
import type { AckName, DeviceStatus, EngineMessage, MediaRef } from '../engine.types.js';
import { bool, dateOf, isObj, obj, str, type Obj } from '../engine-http.js';
import { isGroup, toCanonical } from '../jid.js';

/** The first present value among spellings ("ID", "Id", "id"). */
export function pick(o: Obj, ...names: string[]): unknown {
  for (const n of names) if (o[n] !== undefined && o[n] !== null) return o[n];
  return undefined;
}

/** Success envelope {code, data, success} → data; older versions answer the bare object. */
export function dataOf(body: unknown): unknown {
  const o = obj(body);
  return 'data' in o && ('success' in o || 'code' in o) ? o.data : body;
}

export function wuzStatus(data: unknown): { status: DeviceStatus; jid: string | null } {
  const d = obj(data);
  const connected = bool(pick(d, 'connected', 'Connected'));
  const loggedIn = bool(pick(d, 'loggedIn', 'LoggedIn', 'logged_in'));
  const jid = toCanonical(str(pick(d, 'jid', 'Jid', 'JID')));
  if (loggedIn) return { status: 'connected', jid };
  return { status: connected ? 'qr' : 'disconnected', jid: null };
}

/** ReadReceipt state (or event Type) → ack. ReadSelf (our phone read an incoming message) counts as read. */
export function receiptAck(state: unknown, type: unknown): AckName | null {
  // Without a state, whatsmeow's receipt Type is '' for a delivery, 'read', 'read-self', 'played'.
  const raw = str(state) ?? (typeof type === 'string' ? type || 'delivered' : '');
  const s = raw.toLowerCase().replace(/[-_\s]/g, '');
  if (s === 'delivered') return 'delivered';
  if (s === 'read' || s === 'readself') return 'read';
  if (s === 'played' || s === 'playedself') return 'played';
  return null;
}

const TYPES: [string, EngineMessage['type']][] = [
  ['conversation', 'text'], ['extendedTextMessage', 'text'], ['imageMessage', 'image'], ['videoMessage', 'video'],
  ['ptvMessage', 'video'], ['audioMessage', 'audio'], ['pttMessage', 'audio'], ['documentMessage', 'document'],
  ['stickerMessage', 'sticker'], ['locationMessage', 'location'], ['liveLocationMessage', 'location'],
  ['contactMessage', 'contact'], ['contactsArrayMessage', 'contact'],
];
const WRAPPERS = ['ephemeralMessage', 'viewOnceMessage', 'viewOnceMessageV2', 'viewOnceMessageV2Extension', 'documentWithCaptionMessage'];

export interface ProtoContent {
  type: EngineMessage['type'];
  body: string | null;
  quotedId: string | null;
  mimetype: string | null;
  fileName: string | null;
  isMedia: boolean;
}

/** Reads a protobuf-JSON WhatsApp message (wrappers unwrapped). */
export function protoContent(message: unknown): ProtoContent {
  let m = obj(message);
  for (let i = 0; i < 3; i++) {
    const w = WRAPPERS.map((k) => obj(m[k]).message).find(isObj);
    if (!w) break;
    m = w as Obj;
  }
  let type: EngineMessage['type'] = 'other';
  let part: Obj = {};
  for (const [key, t] of TYPES) {
    if (isObj(m[key]) || (key === 'conversation' && typeof m[key] === 'string')) {
      type = t;
      part = obj(m[key]);
      break;
    }
  }
  const ci = obj(part.contextInfo);
  return {
    type,
    body: str(m.conversation) ?? str(part.text) ?? str(part.caption) ?? null,
    quotedId: str(pick(ci, 'stanzaID', 'stanzaId', 'StanzaID')),
    mimetype: str(part.mimetype),
    fileName: str(part.fileName),
    isMedia: ['image', 'video', 'audio', 'document', 'sticker'].includes(type),
  };
}

/** `type: Message` event (+ top-level base64/mimeType/fileName for media) → EngineMessage. */
export function wuzMessage(event: Obj, extras: Obj): EngineMessage | null {
  const info = obj(pick(event, 'Info', 'info'));
  const id = str(pick(info, 'ID', 'Id', 'id'));
  const chatJid = toCanonical(str(pick(info, 'Chat', 'chat')));
  if (!id || !chatJid) return null;
  const fromMe = bool(pick(info, 'IsFromMe', 'isFromMe'));
  const c = protoContent(pick(event, 'Message', 'message'));
  const base64 = str(extras.base64);
  const media: MediaRef | null = base64
    ? { base64: base64.replace(/^data:[^,]*,/, ''), mimetype: str(extras.mimeType) ?? c.mimetype, filename: str(extras.fileName) ?? c.fileName }
    : c.isMedia ? { mimetype: c.mimetype, filename: c.fileName, url: null } : null;
  return {
    id,
    engineFullId: null,
    chatJid,
    senderJid: toCanonical(str(pick(info, 'Sender', 'sender'))),
    fromMe,
    timestamp: dateOf(pick(info, 'Timestamp', 'timestamp')) ?? new Date(),
    type: c.type === 'other' && media ? 'document' : c.type,
    body: c.body,
    media,
    replyToId: c.quotedId,
    pushName: str(pick(info, 'PushName', 'pushName')),
    source: fromMe ? 'app' : null, // WuzAPI never echoes API sends: our own messages here come from the phone
    ack: null,
    isGroup: bool(pick(info, 'IsGroup', 'isGroup')) || isGroup(chatJid),
  };
}

const STATUS_ACK: Record<string, AckName> = {
  ERROR: 'error', PENDING: 'pending', SERVER_ACK: 'sent', DELIVERY_ACK: 'delivered', READ: 'read', PLAYED: 'played',
  '0': 'error', '1': 'pending', '2': 'sent', '3': 'delivered', '4': 'read', '5': 'played',
};

/** One HistorySync item ({message: WebMessageInfo} or the WebMessageInfo itself) of a conversation. */
export function historySyncMessage(item: unknown, conversationJid: string | null): EngineMessage | null {
  const outer = obj(item);
  const w = isObj(outer.message) && isObj(obj(outer.message).key) ? obj(outer.message) : outer;
  const key = obj(pick(w, 'key', 'Key'));
  const id = str(pick(key, 'ID', 'id', 'Id'));
  const chatJid = toCanonical(str(pick(key, 'remoteJID', 'remoteJid', 'RemoteJID'))) ?? conversationJid;
  if (!id || !chatJid) return null;
  const fromMe = bool(pick(key, 'fromMe', 'FromMe'));
  const group = isGroup(chatJid);
  const c = protoContent(pick(w, 'message', 'Message'));
  const status = pick(w, 'status', 'Status');
  return {
    id,
    engineFullId: null,
    chatJid,
    senderJid: fromMe ? null : group ? toCanonical(str(pick(key, 'participant', 'Participant')) ?? str(w.participant)) : chatJid,
    fromMe,
    timestamp: dateOf(pick(w, 'messageTimestamp', 'MessageTimestamp')) ?? new Date(),
    type: c.type,
    body: c.body,
    media: c.isMedia ? { mimetype: c.mimetype, filename: c.fileName, url: null } : null,
    replyToId: c.quotedId,
    pushName: str(pick(w, 'pushName', 'PushName')),
    source: fromMe ? 'app' : null,
    ack: status === undefined ? null : (STATUS_ACK[String(status).toUpperCase()] ?? null),
    isGroup: group,
  };
}
