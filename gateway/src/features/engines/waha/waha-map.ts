// WAHA shapes → the gateway's words: statuses, acks, serialized message ids, WAMessage.
// Shared by the adapter (history pages) and the webhook parser, so both read a message the same way.
import type { AckName, DeviceStatus, EngineMessage, LidMapping, MediaRef } from '../engine.types.js';
import { arr, bool, dateOf, num, obj, str, type Obj } from '../engine-http.js';
import { isGroup, isLid, isPerson, toCanonical } from '../jid.js';

const WAHA_STATUS: Record<string, DeviceStatus> = { WORKING: 'connected', SCAN_QR_CODE: 'qr', STARTING: 'starting', FAILED: 'failed', STOPPED: 'disconnected' };

/**
 * WAHA session status → device status. A word the gateway does not know (PASSKEY_REQUIRED,
 * PASSKEY_CONFIRMATION_REQUIRED, whatever a later version adds) needs a person: `needs_attention`,
 * never a QR the phone cannot scan. No status at all reads as disconnected.
 */
export function wahaStatus(v: unknown): DeviceStatus {
  const s = typeof v === 'string' ? v.trim().toUpperCase() : '';
  if (!s) return 'disconnected';
  return WAHA_STATUS[s] ?? 'needs_attention';
}

/** The engine's own word for the status, as `statusDetail` shows it. */
export const wahaStatusDetail = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim().slice(0, 100) : null);

const ACK_BY_NUMBER: Record<string, AckName> = { '-1': 'error', '0': 'pending', '1': 'sent', '2': 'delivered', '3': 'read', '4': 'played' };
const ACK_BY_NAME: Record<string, AckName> = { ERROR: 'error', PENDING: 'pending', SERVER: 'sent', DEVICE: 'delivered', READ: 'read', PLAYED: 'played' };

/** WAHA ack (number, or ackName when the number is missing) → ack name; null for UNKNOWN. */
export function wahaAck(ack: unknown, ackName?: unknown): AckName | null {
  const n = num(ack);
  if (n !== null && ACK_BY_NUMBER[String(n)]) return ACK_BY_NUMBER[String(n)]!;
  return typeof ackName === 'string' ? (ACK_BY_NAME[ackName.toUpperCase()] ?? null) : null;
}

/** The serialized id as a string, whether given as a string or as {_serialized}. */
export function serializedOf(v: unknown): string | null {
  return str(v) ?? str(obj(v)._serialized);
}

/** Key id from "{fromMe}_{chat}_{id}[_{participant}]", from {id, _serialized}, or a bare key id. */
export function keyIdOf(v: unknown): string | null {
  const s = str(v);
  if (s) {
    const parts = s.split('_');
    return parts.length >= 3 && (parts[0] === 'true' || parts[0] === 'false') ? (str(parts[2]) ?? null) : s;
  }
  const o = obj(v);
  return str(o.id) ?? (str(o._serialized) ? keyIdOf(o._serialized) : null);
}

/** Chat part of a serialized id, when it is one. */
export function chatOfSerialized(v: string | null): string | null {
  if (!v) return null;
  const parts = v.split('_');
  return parts.length >= 3 && (parts[0] === 'true' || parts[0] === 'false') ? str(parts[1]) : null;
}

/** The id WAHA wants for reply_to and sendSeen when we only know the key id. */
export function buildSerializedId(fromMe: boolean, wahaChatId: string, keyId: string, wahaParticipant?: string | null): string {
  return `${fromMe}_${wahaChatId}_${keyId}${wahaParticipant ? `_${wahaParticipant}` : ''}`;
}

const TYPES: [string, EngineMessage['type']][] = [
  ['conversation', 'text'], ['extendedTextMessage', 'text'], ['imageMessage', 'image'], ['videoMessage', 'video'],
  ['ptvMessage', 'video'], ['audioMessage', 'audio'], ['pttMessage', 'audio'], ['documentMessage', 'document'],
  ['documentWithCaptionMessage', 'document'], ['stickerMessage', 'sticker'], ['locationMessage', 'location'],
  ['liveLocationMessage', 'location'], ['contactMessage', 'contact'], ['contactsArrayMessage', 'contact'],
];

function typeOf(proto: Obj, mimetype: string | null, hasMedia: boolean, body: string | null): EngineMessage['type'] {
  for (const [key, type] of TYPES) if (proto[key] !== undefined && proto[key] !== null) return type;
  if (mimetype) {
    const top = mimetype.split('/')[0];
    if (top === 'image' || top === 'video' || top === 'audio') return top;
    return 'document';
  }
  if (hasMedia) return 'document';
  return body !== null ? 'text' : 'other';
}

/** Mimetype of the media part of a protobuf message, if it has one. */
function protoMime(proto: Obj): string | null {
  for (const v of Object.values(proto)) {
    const m = str(obj(v).mimetype);
    if (m) return m;
  }
  return null;
}

/** Quoted message id from any part's contextInfo.stanzaId. */
function protoQuoted(proto: Obj): string | null {
  for (const v of Object.values(proto)) {
    const ci = obj(obj(v).contextInfo);
    const id = str(ci.stanzaId) ?? str(ci.stanzaID);
    if (id) return id;
  }
  return null;
}

/**
 * A WAMessage (webhook payload or history item) → EngineMessage; null when it has no usable id or chat.
 * `me` is our own JID when known (webhook envelope), used as the sender of our own messages.
 */
export function wahaMessage(p: Obj, me: string | null = null): EngineMessage | null {
  const full = serializedOf(p.id);
  const d = obj(p._data);
  const key = obj(d.key);
  const id = keyIdOf(p.id) ?? str(key.id);
  const fromMe = typeof p.fromMe === 'boolean' ? p.fromMe : bool(key.fromMe) || (full?.startsWith('true_') ?? false);
  const chatJid = toCanonical(chatOfSerialized(full) ?? str(key.remoteJid) ?? (fromMe ? str(p.to) : str(p.from)));
  if (!id || !chatJid) return null;
  const group = isGroup(chatJid);
  const participant = toCanonical(str(p.participant) ?? str(key.participant));
  const from = toCanonical(str(p.from));
  const senderJid = fromMe ? (toCanonical(me) ?? (from && from !== chatJid ? from : null)) : group ? participant : chatJid;
  const proto = obj(d.message);
  const body = str(p.body);
  const hasMedia = bool(p.hasMedia);
  const m = obj(p.media);
  const mimetype = str(m.mimetype) ?? protoMime(proto);
  const media: MediaRef | null = hasMedia || str(m.url)
    ? { mimetype, filename: str(m.filename) ?? null, url: str(m.url) ?? null }
    : null;
  const source = p.source === 'api' || p.source === 'app' ? p.source : null;
  return {
    id,
    engineFullId: full && full !== id ? full : null,
    chatJid,
    senderJid,
    fromMe,
    timestamp: dateOf(p.timestamp) ?? dateOf(d.messageTimestamp) ?? new Date(),
    type: typeOf(proto, media ? mimetype : null, hasMedia, body),
    body,
    media,
    replyToId: keyIdOf(p.replyTo) ?? protoQuoted(proto),
    pushName: str(d.pushName) ?? str(d.notifyName) ?? str(p.notifyName) ?? str(p.pushName),
    source,
    ack: wahaAck(p.ack, p.ackName),
    isGroup: group,
  };
}

/** LID ↔ phone pairs a payload carries in both forms (newer engines: *Alt, senderPn, …). */
export function lidPairs(p: Obj): LidMapping[] {
  const d = obj(p._data);
  const key = obj(d.key);
  const pairs: [unknown, unknown][] = [
    [key.remoteJid, key.remoteJidAlt], [key.participant, key.participantAlt], [key.senderLid, key.senderPn],
    [key.remoteJid, key.senderPn], [key.participantLid, key.participantPn], [d.senderLid ?? p.from, d.senderPn],
  ];
  const out = new Map<string, string>();
  for (const [a, b] of pairs) {
    const x = toCanonical(str(a));
    const y = toCanonical(str(b));
    if (x && y && isLid(x) && isPerson(y)) out.set(x, y);
    else if (x && y && isLid(y) && isPerson(x)) out.set(y, x);
  }
  return [...out].map(([lid, phoneJid]) => ({ lid, phoneJid }));
}

/** Paged list answers: an array, or an object keyed by id (groups on NOWEB), or {items|data: [...]}. */
export function listOf(data: unknown): unknown[] {
  if (Array.isArray(data)) return data;
  const o = obj(data);
  for (const k of ['items', 'data', 'results']) if (Array.isArray(o[k])) return arr(o[k]);
  return Object.values(o).filter((v) => v !== null && typeof v === 'object');
}
