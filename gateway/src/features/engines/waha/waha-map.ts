// WAHA shapes → the gateway's words: statuses, acks, serialized message ids, WAMessage.
// Shared by the adapter (history pages) and the webhook parser, so both read a message the same way.
import type { AckName, DeviceStatus, EngineMessage, LidMapping, MediaRef, MessageContent, SealedChange } from '../engine.types.js';
import { readProto, sealedChange, type ProtoRead } from '../message-content.js';
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
  // {id, _serialized} — and WAHA's replyTo {id: "false_<jid>_<id>", participant, body}: the id may itself be serialized.
  const o = obj(v);
  return (str(o.id) ? keyIdOf(o.id) : null) ?? (str(o._serialized) ? keyIdOf(o._serialized) : null);
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

/** Mimetype of the media part of a protobuf message, if it has one. */
function protoMime(proto: Obj): string | null {
  for (const v of Object.values(proto)) {
    const m = str(obj(v).mimetype);
    if (m) return m;
  }
  return null;
}

/** Type when the protobuf says nothing (WEBJS gives no `_data.message`): from the media, else text. */
function fallbackType(mimetype: string | null, hasMedia: boolean, body: string | null): EngineMessage['type'] {
  if (mimetype) {
    const top = mimetype.split('/')[0];
    if (top === 'image' || top === 'video' || top === 'audio') return top;
    return 'document';
  }
  if (hasMedia) return 'document';
  return body !== null ? 'text' : 'other';
}

/** What the payload's protobuf message is (NOWEB `_data.message`; absent on WEBJS). */
export function wahaProto(p: Obj): ProtoRead {
  return readProto(obj(obj(p._data).message));
}

/** A message the phone could not decrypt yet: NOWEB stub CIPHERTEXT (2), WEBJS type "ciphertext". */
const isCiphertext = (d: Obj) => d.messageStubType === 2 || d.messageStubType === 'CIPHERTEXT' || d.type === 'ciphertext';

/** WEBJS fields beside the protobuf: `location`, `vCards` (strings). */
function topLevelContent(p: Obj): MessageContent | null {
  const l = obj(p.location);
  if (l.latitude !== undefined && l.latitude !== null) {
    return { type: 'location', latitude: num(l.latitude), longitude: num(l.longitude), name: str(l.name) ?? str(l.description) ?? null, address: str(l.address) ?? null, url: str(l.url) ?? null, live: l.live === true };
  }
  const cards = arr(p.vCards).map((v) => str(v)).filter((v): v is string => !!v);
  if (cards.length) {
    return {
      type: 'contact',
      contacts: cards.map((vcard) => ({
        name: /^FN[^:\n]*:(.+)$/im.exec(vcard)?.[1]?.trim() ?? null,
        numbers: [...vcard.matchAll(/^(?:item\d+\.)?TEL[^:\n]*:(.+)$/gim)].map((x) => x[1]!.trim()),
        vcard,
      })),
    };
  }
  return null;
}

/**
 * A WAMessage (webhook payload or history item) → EngineMessage; null when it has no usable id or chat,
 * or is not a message of its own (an edit, revoke, reaction or poll vote travelling as one).
 * `me` is our own JID when known (webhook envelope), used as the sender of our own messages.
 * `read`: the payload's protobuf as `wahaProto` read it, when the caller already has it.
 */
export function wahaMessage(p: Obj, me: string | null = null, read?: ProtoRead): EngineMessage | null {
  const full = serializedOf(p.id);
  const d = obj(p._data);
  const key = obj(d.key);
  const id = keyIdOf(p.id) ?? str(key.id);
  const fromMe = typeof p.fromMe === 'boolean' ? p.fromMe : bool(key.fromMe) || (full?.startsWith('true_') ?? false);
  const chatJid = toCanonical(chatOfSerialized(full) ?? str(key.remoteJid) ?? (fromMe ? str(p.to) : str(p.from)));
  if (!id || !chatJid) return null;
  const proto = obj(d.message);
  const r = read ?? readProto(proto);
  if (r.change || r.isReaction || r.isPollUpdate) return null;
  const group = isGroup(chatJid);
  const participant = toCanonical(str(p.participant) ?? str(key.participant));
  const from = toCanonical(str(p.from));
  const senderJid = fromMe ? (toCanonical(me) ?? (from && from !== chatJid ? from : null)) : group ? participant : chatJid;
  const hasMedia = bool(p.hasMedia);
  const m = obj(p.media);
  const mimetype = str(m.mimetype) ?? protoMime(proto);
  const media: MediaRef | null = hasMedia || str(m.url)
    ? { mimetype, filename: str(m.filename) ?? r.fileName ?? null, url: str(m.url) ?? null }
    : null;
  const source = p.source === 'api' || p.source === 'app' ? p.source : null;
  const pending = isCiphertext(d) && r.type === 'other';
  const content = r.content ?? topLevelContent(p);
  let type: EngineMessage['type'] = pending ? 'pending_decryption' : r.type !== 'other' ? r.type : content ? (content.type === 'link' ? 'text' : (content.type as EngineMessage['type'])) : fallbackType(media ? mimetype : null, hasMedia, str(p.body));
  if (type === 'audio' && (d.type === 'ptt' || obj(proto.audioMessage).ptt === true)) type = 'voice';
  // Structured kinds carry their own text (WEBJS puts a thumbnail in a location's body).
  const structured = ['location', 'contact', 'poll', 'template'].includes(type);
  return {
    id,
    engineFullId: full && full !== id ? full : null,
    chatJid,
    senderJid,
    fromMe,
    timestamp: dateOf(p.timestamp) ?? dateOf(d.messageTimestamp) ?? new Date(),
    type,
    body: pending ? null : structured ? (r.body ?? (type === 'template' ? str(p.body) : null)) : (str(p.body) ?? r.body),
    content: content && (content.type !== 'link' || type === 'text') ? content : null,
    media,
    replyToId: keyIdOf(p.replyTo) ?? r.quotedId,
    pushName: str(d.pushName) ?? str(d.notifyName) ?? str(p.notifyName) ?? str(p.pushName),
    source,
    ack: wahaAck(p.ack, p.ackName),
    isGroup: group,
    secret: r.secret ?? null,
  };
}

/**
 * A sealed edit (NOWEB `_data.message.secretEncryptedMessage`) as the ingest opens it. Its sender in
 * every form the payload names: our own (`me.id`, `me.lid`), or the key's participant / chat and
 * their *Alt twins (Baileys 7).
 */
export function wahaSealed(p: Obj, me: Obj, at: Date, read?: ProtoRead): SealedChange | null {
  const r = read ?? wahaProto(p);
  if (!r.sealed) return null;
  const d = obj(p._data);
  const key = obj(d.key);
  const full = serializedOf(p.id);
  const id = keyIdOf(p.id) ?? str(key.id);
  const fromMe = typeof p.fromMe === 'boolean' ? p.fromMe : bool(key.fromMe);
  const chatJid = toCanonical(chatOfSerialized(full) ?? str(key.remoteJid) ?? (fromMe ? str(p.to) : str(p.from)));
  if (!id || !chatJid) return null;
  const mods = fromMe
    ? [str(me.id), str(me.lid)]
    : isGroup(chatJid) ? [str(key.participant), str(key.participantAlt), str(key.participantPn), str(p.participant)] : [str(key.remoteJid), str(key.remoteJidAlt), str(p.from)];
  return sealedChange(r.sealed, { id, chatJid, senderJid: toCanonical(mods.find((x) => !!x)), fromMe, modSenders: mods, at });
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
    if (typeof a !== 'string' || typeof b !== 'string') continue; // most payloads name one form only
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
