// WuzAPI (whatsmeow) shapes → the gateway's words: envelopes, status, protobuf-JSON messages,
// history rows and HistorySync items, receipts. Field names vary in case between versions: read both.
import type { AckName, DeviceStatus, EngineEvent, EngineMessage, MediaRef } from '../engine.types.js';
import { bytesOf, optionsOfHashes } from '../msg-secret.js';
import { changeEvent, readProto, sealedChange, type ProtoRead } from '../message-content.js';
import { arr, bool, dateOf, isObj, num, obj, str, type Obj } from '../engine-http.js';
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

export type ProtoContent = ProtoRead;

/** Reads a protobuf-JSON WhatsApp message (wrappers unwrapped); see message-content.ts. */
export const protoContent = (message: unknown): ProtoContent => readProto(message);

/**
 * WuzAPI passes poll votes on sealed with the poll's secret (pollUpdateMessage): the ingest opens them
 * with the poll's stored secret. A poll that came without its secret can never count votes: it says so.
 */
const wuzContent = (c: ProtoContent) => (c.content?.type === 'poll' && !c.secret ? { ...c.content, votesUnavailable: true } : c.content);

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
    content: wuzContent(c),
    media,
    replyToId: c.quotedId,
    pushName: str(pick(info, 'PushName', 'pushName')),
    source: fromMe ? 'app' : null, // WuzAPI never echoes API sends: our own messages here come from the phone
    ack: null,
    isGroup: bool(pick(info, 'IsGroup', 'isGroup')) || isGroup(chatJid),
    secret: c.secret ?? null,
  };
}

const STATUS_ACK: Record<string, AckName> = {
  ERROR: 'error', PENDING: 'pending', SERVER_ACK: 'sent', DELIVERY_ACK: 'delivered', READ: 'read', PLAYED: 'played',
  '0': 'error', '1': 'pending', '2': 'sent', '3': 'delivered', '4': 'read', '5': 'played',
};

const webMessageInfo = (item: unknown) => {
  const outer = obj(item);
  return isObj(outer.message) && isObj(obj(outer.message).key) ? obj(outer.message) : outer;
};

/** The key id of a HistorySync item, whatever it holds. */
export const historySyncKeyId = (item: unknown) => str(pick(obj(pick(webMessageInfo(item), 'key', 'Key')), 'ID', 'id', 'Id'));

/** One HistorySync item; null without an id or chat, or when it is a change to another message (edit, reaction, vote). */
export function historySyncMessage(item: unknown, conversationJid: string | null): EngineMessage | null {
  const w = webMessageInfo(item);
  const key = obj(pick(w, 'key', 'Key'));
  const id = str(pick(key, 'ID', 'id', 'Id'));
  const chatJid = toCanonical(str(pick(key, 'remoteJID', 'remoteJid', 'RemoteJID'))) ?? conversationJid;
  if (!id || !chatJid) return null;
  const fromMe = bool(pick(key, 'fromMe', 'FromMe'));
  const group = isGroup(chatJid);
  const c = protoContent(pick(w, 'message', 'Message'));
  if (c.change || c.isReaction || c.isPollUpdate) return null;
  const status = pick(w, 'status', 'Status');
  // WebMessageInfo.messageSecret (field 49) holds the secret when the message's own context does not.
  const secret = c.secret ?? bytesOf(pick(w, 'messageSecret', 'MessageSecret'))?.toString('base64') ?? null;
  return {
    id,
    engineFullId: null,
    chatJid,
    senderJid: fromMe ? null : group ? toCanonical(str(pick(key, 'participant', 'Participant')) ?? str(w.participant)) : chatJid,
    fromMe,
    timestamp: dateOf(pick(w, 'messageTimestamp', 'MessageTimestamp')) ?? new Date(),
    type: c.type,
    body: c.body,
    content: c.content?.type === 'poll' && !secret ? { ...c.content, votesUnavailable: true } : c.content,
    media: c.isMedia ? { mimetype: c.mimetype, filename: c.fileName, url: null } : null,
    replyToId: c.quotedId,
    pushName: str(pick(w, 'pushName', 'PushName')),
    source: fromMe ? 'app' : null,
    ack: status === undefined ? null : (STATUS_ACK[String(status).toUpperCase()] ?? null),
    isGroup: group,
    secret,
  };
}

/**
 * A history poll's votes: the phone sends them already opened (WebMessageInfo.pollUpdates[] =
 * PollUpdate {pollUpdateMessageKey, vote: PollVoteMessage {selectedOptions: SHA-256 of each name},
 * senderTimestampMS}). Our own votes are left out: the item does not say our JID.
 */
export function historySyncVotes(item: unknown, poll: EngineMessage): EngineEvent[] {
  if (poll.content?.type !== 'poll') return [];
  const options = poll.content.options;
  const out: EngineEvent[] = [];
  for (const u of arr(pick(webMessageInfo(item), 'pollUpdates', 'PollUpdates'))) {
    const x = obj(u);
    const key = obj(pick(x, 'pollUpdateMessageKey', 'PollUpdateMessageKey'));
    if (bool(pick(key, 'fromMe', 'FromMe'))) continue;
    const voter = toCanonical(str(pick(key, 'participant', 'Participant')) ?? (poll.isGroup ? null : str(pick(key, 'remoteJID', 'remoteJid', 'RemoteJID'))));
    if (!voter) continue;
    const hashes = arr(obj(pick(x, 'vote', 'Vote')).selectedOptions).map(bytesOf).filter((b): b is Buffer => !!b);
    const at = dateOf(num(pick(x, 'senderTimestampMS', 'serverTimestampMS'))) ?? poll.timestamp;
    out.push({ kind: 'poll.vote', pollId: poll.id, voterJid: voter, options: optionsOfHashes(options, hashes), timestamp: at });
  }
  return out;
}

/**
 * The reactions a HistorySync message carries (WebMessageInfo.reactions: waWeb.Reaction {key, text,
 * senderTimestampMS}: the phone keeps each person's latest reaction on the message itself). The key is
 * the reaction's own: fromMe, else its participant (groups) or the chat (one-to-one) reacted.
 */
export function historySyncReactions(item: unknown, m: EngineMessage): EngineEvent[] {
  const out: EngineEvent[] = [];
  for (const r of arr(pick(webMessageInfo(item), 'reactions', 'Reactions'))) {
    const x = obj(r);
    const key = obj(pick(x, 'key', 'Key'));
    const fromMe = bool(pick(key, 'fromMe', 'FromMe'));
    const sender = fromMe ? null : toCanonical(str(pick(key, 'participant', 'Participant')) ?? (m.isGroup ? null : str(pick(key, 'remoteJID', 'remoteJid', 'RemoteJID'))));
    if (!fromMe && !sender) continue;
    const at = dateOf(num(pick(x, 'senderTimestampMS', 'SenderTimestampMS'))) ?? m.timestamp;
    out.push({ kind: 'reaction', targetId: m.id, senderJid: sender, fromMe, emoji: str(pick(x, 'text', 'Text')), timestamp: at });
  }
  return out;
}

/**
 * A HistorySync item that changes another message, read as its live form is (messageEvents): a sealed
 * edit or poll vote (secretEncryptedMessage, pollUpdateMessage) for the ingest to open with the
 * original's secret, and the plain edit or revoke. Its sender as whatsmeow's ParseWebMessage
 * (client.go) reads it: ours; the chat of a one-to-one chat; else the item's or the key's participant.
 */
export function historySyncChanges(item: unknown, conversationJid: string | null): EngineEvent[] {
  const w = webMessageInfo(item);
  const key = obj(pick(w, 'key', 'Key'));
  const id = str(pick(key, 'ID', 'id', 'Id'));
  const chatJid = toCanonical(str(pick(key, 'remoteJID', 'remoteJid', 'RemoteJID'))) ?? conversationJid;
  if (!id || !chatJid) return [];
  const message = obj(pick(w, 'message', 'Message'));
  const c = protoContent(message);
  const reaction = isObj(message.reactionMessage) ? obj(message.reactionMessage) : null;
  if (!c.sealed && !c.change && !reaction) return [];
  const fromMe = bool(pick(key, 'fromMe', 'FromMe'));
  const sender = fromMe ? null : isGroup(chatJid) ? toCanonical(str(pick(w, 'participant', 'Participant')) ?? str(pick(key, 'participant', 'Participant'))) : chatJid;
  const at = dateOf(pick(w, 'messageTimestamp', 'MessageTimestamp')) ?? new Date();
  const out: EngineEvent[] = [];
  // A reaction kept as an item of its own (reactionMessage {key: the message reacted to, text}).
  if (reaction) {
    const targetId = str(pick(obj(reaction.key), 'ID', 'id', 'Id'));
    if (targetId && (fromMe || sender)) out.push({ kind: 'reaction', targetId, senderJid: sender, fromMe, emoji: str(reaction.text), timestamp: dateOf(num(reaction.senderTimestampMS)) ?? at });
    return out;
  }
  if (c.sealed) out.push({ kind: 'sealed', change: sealedChange(c.sealed, { id, chatJid, senderJid: sender, fromMe, modSenders: [sender], at }) });
  if (c.change) out.push(changeEvent(c.change, at));
  return out;
}
