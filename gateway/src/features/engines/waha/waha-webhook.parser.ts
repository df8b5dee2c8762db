// WAHA webhooks: HMAC-SHA512 check over the raw bytes, and envelopes → EngineEvents.
import { type EngineEvent, type ParsedWebhook, type RawWebhook, WebhookPayloadError } from '../engine.types.js';
import { arr, dateOf, headerOf, hexHmacMatches, isObj, obj, str, type Obj } from '../engine-http.js';
import { isGroup, toCanonical } from '../jid.js';
import { parseCleanJson } from '../webhook-text.js';
import { keyIdOf, lidPairs, serializedOf, chatOfSerialized, wahaAck, wahaMessage, wahaProto, wahaSealed, wahaStatus, wahaStatusDetail } from './waha-map.js';
import { callLine, groupLine } from '../system-lines.js';
import { changeEvent } from '../message-content.js';

/** X-Webhook-Hmac = hex HMAC-SHA512 of the body; another declared algorithm or no signature → false. */
export function verifyWahaWebhook(raw: RawWebhook, hmacKey: string): boolean {
  const sig = headerOf(raw.headers, 'x-webhook-hmac');
  if (!sig || !hmacKey) return false;
  const algorithm = headerOf(raw.headers, 'x-webhook-hmac-algorithm');
  if (algorithm !== null && algorithm.toLowerCase() !== 'sha512') return false;
  return hexHmacMatches('sha512', hmacKey, raw.body, sig);
}

function envelopeOf(body: Buffer): { env: Obj; poisoned: boolean } {
  let parsed: unknown;
  let poisoned: boolean;
  try {
    ({ value: parsed, poisoned } = parseCleanJson(body.toString('utf8')));
  } catch {
    throw new WebhookPayloadError('WAHA webhook body is not JSON');
  }
  if (!isObj(parsed)) throw new WebhookPayloadError('WAHA webhook body is not an object');
  // `id` is absent on old WAHA versions; event, session and an object payload are always there.
  if (!str(parsed.event)) throw new WebhookPayloadError('WAHA webhook has no event');
  if (!str(parsed.session)) throw new WebhookPayloadError('WAHA webhook has no session');
  if (!isObj(parsed.payload)) throw new WebhookPayloadError('WAHA webhook payload is not an object');
  return { env: parsed, poisoned };
}

/** group.v2.* (GroupV2JoinEvent, GroupV2LeaveEvent, GroupV2ParticipantsEvent, GroupV2UpdateEvent) → lines and names. */
function wahaGroupEvents(event: string, p: Obj, at: Date): EngineEvent[] {
  const group = obj(p.group);
  const gid = toCanonical(str(group.id));
  if (!gid || !isGroup(gid)) throw new WebhookPayloadError(`WAHA ${event} without group.id`);
  const out: EngineEvent[] = [];
  const subject = str(group.subject);
  const actor = toCanonical(str(obj(p._data).author) ?? str(obj(p._data).actor));
  switch (event) {
    case 'group.v2.join':
      if (subject) out.push({ kind: 'chat.name', chatJid: gid, name: subject, at });
      // We joined (or were added): no participants named means "you".
      out.push({ kind: 'message', message: groupLine('group_joined', gid, at, [], null) });
      break;
    case 'group.v2.leave':
      out.push({ kind: 'message', message: groupLine('group_left', gid, at, [], null) });
      break;
    case 'group.v2.participants': {
      const type = ({ join: 'group_joined', leave: 'group_left', promote: 'group_promoted', demote: 'group_demoted' } as const)[String(p.type) as 'join'];
      if (!type) break;
      const who = arr(p.participants).map((x) => toCanonical(str(obj(x).pn) ?? str(obj(x).id))).filter((x): x is string => !!x);
      out.push({ kind: 'message', message: groupLine(type, gid, at, who, actor) });
      break;
    }
    case 'group.v2.update': {
      if (subject) {
        out.push({ kind: 'chat.name', chatJid: gid, name: subject, at });
        out.push({ kind: 'message', message: groupLine('group_subject', gid, at, [], actor, { subject }) });
      }
      if ('description' in group) out.push({ kind: 'message', message: groupLine('group_description', gid, at, [], actor, { description: str(group.description) }) });
      if ('picture' in group || 'pictureUrl' in group) out.push({ kind: 'message', message: groupLine('group_picture', gid, at, [], actor) });
      break;
    }
  }
  return out;
}

export function parseWahaWebhook(raw: RawWebhook): ParsedWebhook {
  const { env, poisoned } = envelopeOf(raw.body);
  const event = env.event as string;
  const p = env.payload as Obj;
  const me = obj(env.me);
  const meJid = toCanonical(str(me.id));
  const at = dateOf(p.timestamp) ?? dateOf(env.timestamp) ?? new Date();
  const events: EngineEvent[] = [];
  const rejected: string[] = [];
  let ignored: string[] = [];
  try {
    if (!readEvent(event, p, env, meJid, at, events) && !WITHOUT_EFFECT.has(event)) ignored = [event];
  } catch (e) {
    // The delivery's one event cannot be read: named, and the delivery is still answered 2xx.
    if (!(e instanceof WebhookPayloadError)) throw e;
    rejected.push(e.message);
  }
  return { eventId: str(env.id), events, ...(poisoned ? { poisoned } : {}), ...(rejected.length ? { rejected } : {}), ...(ignored.length ? { ignored } : {}) };
}

/** Events WAHA may send that the gateway knows and deliberately leaves alone (the rest are counted as unknown kinds). */
const WITHOUT_EFFECT = new Set(['presence.update', 'chat.archive', 'state.change', 'engine.event', 'message.ack.group', 'label.upsert', 'label.deleted', 'label.chat.added', 'label.chat.deleted', 'event.response', 'event.response.failed']);

/** False when the event is not one the gateway reads. */
function readEvent(event: string, p: Obj, env: Obj, meJid: string | null, at: Date, events: EngineEvent[]): boolean {
  const me = obj(env.me);
  switch (event) {
    case 'session.status': {
      const status = wahaStatus(p.status);
      const connected = status === 'connected';
      events.push({ kind: 'session.status', status, detail: wahaStatusDetail(p.status), jid: connected ? meJid : null, pushName: connected ? str(me.pushName) : null, at: dateOf(env.timestamp) });
      const ownLid = toCanonical(str(me.lid));
      if (connected && meJid && ownLid?.endsWith('@lid')) events.push({ kind: 'lid', mapping: { lid: ownLid, phoneJid: meJid } });
      break;
    }
    case 'message':
    case 'message.any': {
      // Edits and revokes travel as messages too (protocolMessage; newer phones: secretEncryptedMessage).
      // Read once: the sealed part, the change and the message below all come from it.
      const proto = wahaProto(p);
      const sealed = wahaSealed(p, me, at, proto);
      if (sealed) events.push({ kind: 'sealed', change: sealed });
      if (proto.change) {
        events.push(changeEvent(proto.change, at));
        break;
      }
      if (proto.isReaction || proto.isPollUpdate) break; // WAHA sends these as message.reaction / poll.vote
      const m = wahaMessage(p, meJid, proto);
      if (!m) throw new WebhookPayloadError(`WAHA ${event} without a usable id or chat`);
      // LID mappings first, so ingest can resolve the message's LID chat with them.
      for (const mapping of lidPairs(p)) events.push({ kind: 'lid', mapping });
      events.push({ kind: 'message', message: m });
      if (!m.fromMe && m.pushName && m.senderJid && !isGroup(m.senderJid)) {
        events.push({ kind: 'contact', contact: { jid: m.senderJid, pushName: m.pushName } });
      }
      break;
    }
    case 'message.ack': {
      const id = keyIdOf(p.id);
      const ack = wahaAck(p.ack, p.ackName);
      if (!id) throw new WebhookPayloadError('WAHA message.ack without id');
      if (ack) {
        const chat = chatOfSerialized(serializedOf(p.id)) ?? (p.fromMe === true ? str(p.to) : str(p.from));
        events.push({ kind: 'ack', ids: [id], chatJid: toCanonical(chat), ack });
      }
      break;
    }
    case 'message.reaction': {
      const r = obj(p.reaction);
      const targetId = keyIdOf(r.messageId);
      if (!targetId) throw new WebhookPayloadError('WAHA message.reaction without reaction.messageId');
      const fromMe = p.fromMe === true;
      const chat = toCanonical(str(p.from));
      const sender = fromMe ? meJid : (toCanonical(str(p.participant)) ?? (isGroup(chat) ? null : chat));
      events.push({ kind: 'reaction', targetId, senderJid: sender, fromMe, emoji: str(r.text), timestamp: at });
      break;
    }
    case 'message.revoked': {
      const before = obj(p.before);
      const after = obj(p.after);
      const proto = obj(obj(obj(after._data).message).protocolMessage);
      const targetId = keyIdOf(p.revokedMessageId) ?? keyIdOf(before.id) ?? str(obj(proto.key).id);
      if (!targetId) throw new WebhookPayloadError('WAHA message.revoked without the revoked message id');
      events.push({ kind: 'revoke', targetId, timestamp: dateOf(after.timestamp) ?? at });
      break;
    }
    case 'message.edited': {
      // editedMessageId, else the protocol message's key, else (encrypted edit, NOWEB) secretEncryptedMessage.targetMessageKey.
      const proto = wahaProto(p);
      const change = proto.change;
      const targetId = keyIdOf(p.editedMessageId) ?? (change?.kind === 'edit' ? change.targetId : null);
      if (!targetId) throw new WebhookPayloadError('WAHA message.edited without editedMessageId');
      // An encrypted edit WAHA could not read arrives with an empty body: the text is unknown, not "";
      // the ingest opens it with the original's stored secret.
      const body = str(p.body) ?? (change?.kind === 'edit' ? change.body : null);
      const sealed = body === null ? wahaSealed(p, me, at, proto) : null;
      if (sealed) events.push({ kind: 'sealed', change: sealed });
      events.push({ kind: 'edit', targetId, body, timestamp: at });
      break;
    }
    case 'poll.vote': {
      // PollVotePayload {vote: {id, selectedOptions, timestamp, from, to, fromMe, participant}, poll: {id, from, to, fromMe}}
      const vote = obj(p.vote);
      const pollId = keyIdOf(obj(p.poll).id);
      if (!pollId) throw new WebhookPayloadError('WAHA poll.vote without poll.id');
      const voter = vote.fromMe === true ? (meJid ?? 'me') : toCanonical(str(vote.participant) ?? str(vote.from));
      if (!voter) throw new WebhookPayloadError('WAHA poll.vote without a voter');
      const options = arr(vote.selectedOptions).map((o) => str(o)).filter((o): o is string => !!o);
      events.push({ kind: 'poll.vote', pollId, voterJid: voter, options, timestamp: dateOf(vote.timestamp) ?? at });
      break;
    }
    case 'call.received':
    case 'call.accepted':
    case 'call.rejected': {
      // CallData {id, from, timestamp, isVideo, isGroup} for each: one line per call id, which ends at the
      // call's last state (callLine): offered and never answered is missed.
      const id = str(p.id);
      const from = toCanonical(str(p.from));
      if (!id || !from) throw new WebhookPayloadError(`WAHA ${event} without id or from`);
      const state = event === 'call.accepted' ? 'call_answered' : event === 'call.rejected' ? 'call_declined' : 'call_missed';
      events.push({ kind: 'message', message: callLine(id, state, from, from, at, p.isVideo === true, p.isGroup === true) });
      break;
    }
    case 'group.v2.join':
    case 'group.v2.leave':
    case 'group.v2.participants':
    case 'group.v2.update':
      events.push(...wahaGroupEvents(event, p, at));
      break;
    case 'message.waiting': {
      // The phone's "Waiting for this message": a WAMessage without content, replaced in place when it arrives.
      const m = wahaMessage(p, meJid);
      if (!m) throw new WebhookPayloadError('WAHA message.waiting without a usable id or chat');
      events.push({ kind: 'message', message: { ...m, type: 'pending_decryption', body: null, content: null, media: null } });
      break;
    }
    case 'poll.vote.failed':
      break; // read: a vote WAHA could not read has no choice in it
    default:
      return false;
  }
  return true;
}
