// WuzAPI webhooks: HMAC-SHA256 check over the raw bytes, and both wire formats (form with a jsonData
// field, or flat JSON) → EngineEvents. WuzAPI gives no delivery id: deduplication relies on message ids.
import { type EngineEvent, type LidMapping, type ParsedWebhook, type RawWebhook, WebhookPayloadError } from '../engine.types.js';
import { arr, dateOf, headerOf, hexHmacMatches, isObj, num, obj, str, type Obj } from '../engine-http.js';
import { isGroup, isLid, isPerson, toCanonical } from '../jid.js';
import { historySyncChanges, historySyncKeyId, historySyncMessage, historySyncReactions, historySyncVotes, pick, protoContent, receiptAck, wuzMessage } from './wuzapi-map.js';
import { changeEvent, sealedChange } from '../message-content.js';
import { callLine, groupLine } from '../system-lines.js';
import { decodeQrDataUrl } from './wuzapi-qr.js';
import { parseCleanJson } from '../webhook-text.js';

/** x-hmac-signature = lower-case hex HMAC-SHA256 of the body; present only when the user has a key. */
export function verifyWuzapiWebhook(raw: RawWebhook, hmacKey: string, allowUnsigned: boolean): boolean {
  const sig = headerOf(raw.headers, 'x-hmac-signature');
  if (!sig) return allowUnsigned;
  if (!hmacKey) return false;
  return hexHmacMatches('sha256', hmacKey, raw.body, sig.replace(/^sha256=/i, ''));
}

/**
 * Event types read by a branch above or known and deliberately without effect (presence, keep-alive,
 * app state): anything else is an event kind the gateway does not know, counted as such.
 */
const READ_ELSEWHERE = new Set([
  'Presence', 'ChatPresence', 'KeepAliveRestored', 'KeepAliveTimeout', 'AppState', 'AppStateSyncComplete', 'OfflineSyncCompleted', 'OfflineSyncPreview',
  'PushNameSetting', 'QRTimeout', 'PairError', 'TemporaryBan', 'StreamError', 'MediaRetry', 'Receipt',
]);

function postOf(raw: RawWebhook): { post: Obj; poisoned: boolean } {
  const ct = (headerOf(raw.headers, 'content-type') ?? '').toLowerCase();
  const text = raw.body.toString('utf8');
  const isForm = ct.includes('application/x-www-form-urlencoded') || (!ct.includes('json') && !/^\s*\{/.test(text));
  let json = text;
  if (isForm) {
    const data = new URLSearchParams(text).get('jsonData');
    if (data === null) throw new WebhookPayloadError('WuzAPI form webhook without jsonData');
    json = data;
  }
  let parsed: unknown;
  let poisoned: boolean;
  try {
    ({ value: parsed, poisoned } = parseCleanJson(json));
  } catch {
    throw new WebhookPayloadError('WuzAPI webhook data is not JSON');
  }
  if (!isObj(parsed)) throw new WebhookPayloadError('WuzAPI webhook data is not an object');
  if (!str(parsed.type)) throw new WebhookPayloadError('WuzAPI webhook has no type');
  return { post: parsed, poisoned };
}

/** A pair of JIDs where one is a LID and the other a phone → mapping. */
function lidPair(a: unknown, b: unknown): LidMapping | null {
  const x = toCanonical(str(a));
  const y = toCanonical(str(b));
  if (x && y && isLid(x) && isPerson(y)) return { lid: x, phoneJid: y };
  if (x && y && isLid(y) && isPerson(x)) return { lid: y, phoneJid: x };
  return null;
}

function messageEvents(post: Obj, event: Obj): EngineEvent[] {
  const info = obj(pick(event, 'Info', 'info'));
  const raw = obj(pick(event, 'Message', 'message'));
  const out: EngineEvent[] = [];
  for (const [a, b] of [[info.Sender, info.SenderAlt], [info.Chat, info.RecipientAlt]] as const) {
    const m = lidPair(a, b);
    if (m && !out.some((e) => e.kind === 'lid' && e.mapping.lid === m.lid)) out.push({ kind: 'lid', mapping: m });
  }
  const fromMe = info.IsFromMe === true;
  const sender = toCanonical(str(info.Sender));
  const at = dateOf(info.Timestamp) ?? new Date();
  // Reactions, revokes and edits arrive as Message events carrying a special message.
  const reaction = obj(raw.reactionMessage);
  if (isObj(raw.reactionMessage)) {
    const targetId = str(pick(obj(reaction.key), 'ID', 'id'));
    if (targetId) out.push({ kind: 'reaction', targetId, senderJid: sender, fromMe, emoji: str(reaction.text), timestamp: at });
    return out;
  }
  // protocolMessage (REVOKE, MESSAGE_EDIT), the editedMessage wrapper, or — newer phones, Info.Edit "1" —
  // secretEncryptedMessage, which WuzAPI passes on sealed (wmiau.go puts events.Message as is): the
  // ingest opens it with the original's stored secret; a poll vote (pollUpdateMessage) likewise.
  const c = protoContent(raw);
  const chat = toCanonical(str(info.Chat));
  const id = str(pick(info, 'ID', 'Id', 'id'));
  if (c.sealed && chat && id) {
    const sealed = sealedChange(c.sealed, { id, chatJid: chat, senderJid: sender, fromMe, modSenders: [str(info.Sender), str(info.SenderAlt)], at });
    out.push({ kind: 'sealed', change: sealed });
  }
  if (c.change) {
    // A sealed edit is also a plain one without text: the original shows "edited" even when it cannot be opened.
    out.push(changeEvent(c.change, at));
    return out;
  }
  // An edit or revoke whose target we cannot read, or a poll vote: nothing more to store.
  if (c.isPollUpdate || ['1', '7', '8'].includes(String(info.Edit ?? ''))) return out;
  const m = wuzMessage(event, post);
  if (!m) throw new WebhookPayloadError('WuzAPI Message without Info.ID or Info.Chat');
  out.push({ kind: 'message', message: m });
  if (!fromMe && m.pushName && sender && !isGroup(sender)) out.push({ kind: 'contact', contact: { jid: sender, pushName: m.pushName } });
  return out;
}

/** whatsmeow GroupInfo {JID, Sender, Timestamp, Name{Name}, Topic{Topic}, Join, Leave, Promote, Demote}, JoinedGroup, Picture. */
function groupEvents(type: string, e: Obj): EngineEvent[] {
  const gid = toCanonical(str(e.JID));
  if (!gid || !isGroup(gid)) return []; // a person's picture, or not about a group
  const at = dateOf(e.Timestamp) ?? new Date();
  const actor = toCanonical(str(e.SenderPN) ?? str(e.Sender) ?? str(e.Author));
  const jids = (v: unknown) => arr(v).map((x) => toCanonical(str(x))).filter((x): x is string => !!x);
  const out: EngineEvent[] = [];
  const name = str(obj(e.Name).Name) ?? (type === 'JoinedGroup' ? str(e.Name) : null);
  if (type === 'Picture') {
    out.push({ kind: 'message', message: groupLine('group_picture', gid, at, [], actor) });
    return out;
  }
  // A rename happened at the event's time; a joined group's name was set at NameSetAt.
  if (name) out.push({ kind: 'chat.name', chatJid: gid, name, at: type === 'JoinedGroup' ? (dateOf(e.NameSetAt) ?? at) : at });
  if (type === 'JoinedGroup') {
    // JoinedGroup carries no time of its own: the line's id rests on the group and its CreateKey.
    out.push({ kind: 'message', message: groupLine('group_joined', gid, at, [], actor, {}, dateOf(e.GroupCreated) ?? new Date(0)) });
    return out;
  }
  if (name) out.push({ kind: 'message', message: groupLine('group_subject', gid, at, [], actor, { subject: name }) });
  const topic = obj(e.Topic);
  if (Object.keys(topic).length) out.push({ kind: 'message', message: groupLine('group_description', gid, at, [], actor, { description: str(topic.Topic) }) });
  for (const [field, t] of [['Join', 'group_joined'], ['Leave', 'group_left'], ['Promote', 'group_promoted'], ['Demote', 'group_demoted']] as const) {
    const who = jids(e[field]);
    if (who.length) out.push({ kind: 'message', message: groupLine(t, gid, at, who, actor) });
  }
  return out;
}

export function parseWuzapiWebhook(raw: RawWebhook): ParsedWebhook {
  const { post, poisoned } = postOf(raw);
  const event = obj(post.event);
  const events: EngineEvent[] = [];
  const rejected: string[] = [];
  let historySync: ParsedWebhook['historySync'];
  const ignored: string[] = [];
  // Each event is read on its own: one that cannot be read is named, the others are kept.
  const each = (read: () => void) => {
    try {
      read();
    } catch (e) {
      if (!(e instanceof WebhookPayloadError)) throw e;
      rejected.push(e.message);
    }
  };
  switch (post.type) {
    case 'Message':
      each(() => events.push(...messageEvents(post, event)));
      break;
    case 'UndecryptableMessage':
      // {Info, IsUnavailable, UnavailableType, DecryptFailMode}: WhatsApp's "waiting for this message",
      // replaced in place when the phone resends it (same Info.ID). Our own echoes never decrypt: skipped.
      each(() => {
        const info = obj(pick(event, 'Info', 'info'));
        if (info.IsFromMe === true) return;
        const m = wuzMessage({ Info: info, Message: {} }, {});
        if (!m) throw new WebhookPayloadError('WuzAPI UndecryptableMessage without Info.ID or Info.Chat');
        events.push({ kind: 'message', message: { ...m, type: 'pending_decryption', body: null, content: null, media: null } });
      });
      break;
    case 'CallOffer':
    case 'CallOfferNotice':
    case 'CallAccept':
    case 'CallTerminate':
      // whatsmeow types/events/call.go: BasicCallMeta {From, Timestamp, CallCreator, CallID, GroupJID?};
      // CallOfferNotice adds Media (audio|video), CallTerminate a Reason. One line per call id, at its
      // last state: accepted → answered; terminated as rejected or busy → declined; else missed.
      each(() => {
        const callId = str(pick(event, 'CallID', 'CallId'));
        const group = toCanonical(str(event.GroupJID));
        const from = toCanonical(str(event.CallCreator) ?? str(event.From));
        const chat = group && isGroup(group) ? group : toCanonical(str(event.CallCreator) ?? str(event.From));
        if (!callId || !chat) throw new WebhookPayloadError(`WuzAPI ${post.type} without CallID or From`);
        const video = str(event.Media) === 'video' || /"Tag":"video"/.test(JSON.stringify(event.Data ?? null));
        const at = dateOf(event.Timestamp) ?? new Date();
        const reason = (str(event.Reason) ?? '').toLowerCase();
        const state = post.type === 'CallAccept' ? 'call_answered' : post.type === 'CallTerminate' && /reject|declin|busy/.test(reason) ? 'call_declined' : 'call_missed';
        events.push({ kind: 'message', message: callLine(callId, state, chat, from, at, video, isGroup(chat)) });
      });
      break;
    case 'GroupInfo':
    case 'JoinedGroup':
    case 'Picture':
      each(() => events.push(...groupEvents(post.type as string, event)));
      break;
    case 'ReadReceipt': {
      const ack = receiptAck(post.state, event.Type);
      const ids = arr(pick(event, 'MessageIDs', 'MessageIds')).map((v) => str(v)).filter((v): v is string => v !== null);
      if (ack && ids.length) events.push({ kind: 'ack', ids, chatJid: toCanonical(str(event.Chat)), ack });
      break;
    }
    case 'QR': {
      const qr = decodeQrDataUrl(str(post.qrCodeBase64) ?? str(event.qrCodeBase64));
      events.push({ kind: 'session.status', status: 'qr' }, { kind: 'qr', qr });
      break;
    }
    case 'PairSuccess': {
      const jid = toCanonical(str(event.ID));
      events.push({ kind: 'session.status', status: 'connected', jid, pushName: null });
      const m = lidPair(event.LID, event.ID);
      if (m) events.push({ kind: 'lid', mapping: m });
      break;
    }
    case 'Connected':
      events.push({ kind: 'session.status', status: 'connected' });
      break;
    case 'LoggedOut':
      events.push({ kind: 'session.status', status: 'logged_out' });
      break;
    case 'Disconnected':
    case 'StreamReplaced':
      events.push({ kind: 'session.status', status: 'disconnected' });
      break;
    case 'ConnectFailure':
    case 'ClientOutdated':
      events.push({ kind: 'session.status', status: 'failed' });
      break;
    case 'HistorySync': {
      // event.Data is whatsmeow's waHistorySync.HistorySync through encoding/json (wmiau.go): syncType a
      // number (2 = FULL; a name on some builds), progress in percent, conversations[].name for groups.
      const data = obj(pick(event, 'Data', 'data') ?? post.Data);
      const chats: { jid: string; name: string | null }[] = [];
      let messages = 0;
      for (const conv of arr(pick(data, 'conversations', 'Conversations'))) {
        const c = obj(conv);
        const jid = toCanonical(str(pick(c, 'ID', 'id', 'Id')));
        if (jid) chats.push({ jid, name: str(pick(c, 'name', 'Name', 'displayName')) });
        // Group names come with the history (conversations[].name); any live rename is newer.
        const name = str(pick(c, 'name', 'Name'));
        if (jid && name && isGroup(jid)) events.push({ kind: 'chat.name', chatJid: jid, name, at: new Date(0) });
        for (const item of arr(pick(c, 'messages', 'Messages'))) {
          each(() => {
            const m = historySyncMessage(item, jid);
            if (m) {
              events.push({ kind: 'message', message: m }, ...historySyncVotes(item, m), ...historySyncReactions(item, m));
              messages++;
            } else if (!historySyncKeyId(item)) throw new WebhookPayloadError('WuzAPI HistorySync message without key.ID or chat');
            // A change to another message (sealed edit or vote, edit, revoke): applied as a live one is.
            else events.push(...historySyncChanges(item, jid));
          });
        }
      }
      const syncType = pick(data, 'syncType', 'SyncType');
      const progress = num(pick(data, 'progress', 'Progress'));
      const full = syncType === 2 || String(syncType).toUpperCase() === 'FULL';
      historySync = { chats, messages, complete: full && progress !== null && progress >= 100 };
      break;
    }
    default:
      if (!READ_ELSEWHERE.has(post.type as string)) ignored.push(post.type as string); // counted, never stored
      break;
  }
  // The engine's own word for a state is the event's type (LoggedOut, ConnectFailure…).
  for (const e of events) if (e.kind === 'session.status' && e.detail === undefined) e.detail = post.type as string;
  return { eventId: null, events, ...(post.type === 'HistorySync' ? { history: true, historySync } : {}), ...(ignored.length ? { ignored } : {}), ...(poisoned ? { poisoned } : {}), ...(rejected.length ? { rejected } : {}) };
}
