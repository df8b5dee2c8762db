// WAHA webhooks: HMAC-SHA512 check over the raw bytes, and envelopes → EngineEvents.
import { type EngineEvent, type ParsedWebhook, type RawWebhook, WebhookPayloadError } from '../engine.types.js';
import { dateOf, headerOf, hexHmacMatches, isObj, obj, str, type Obj } from '../engine-http.js';
import { isGroup, toCanonical } from '../jid.js';
import { parseCleanJson } from '../webhook-text.js';
import { keyIdOf, lidPairs, serializedOf, chatOfSerialized, wahaAck, wahaMessage, wahaStatus, wahaStatusDetail } from './waha-map.js';

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
      events.push({ kind: 'session.status', status, detail: wahaStatusDetail(p.status), jid: connected ? meJid : null, pushName: connected ? str(me.pushName) : null });
      const ownLid = toCanonical(str(me.lid));
      if (connected && meJid && ownLid?.endsWith('@lid')) events.push({ kind: 'lid', mapping: { lid: ownLid, phoneJid: meJid } });
      break;
    }
    case 'message':
    case 'message.any': {
      const m = wahaMessage(p, meJid);
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
      const proto = obj(obj(obj(p._data).message).protocolMessage);
      const targetId = keyIdOf(p.editedMessageId) ?? str(obj(proto.key).id);
      if (!targetId) throw new WebhookPayloadError('WAHA message.edited without editedMessageId');
      events.push({ kind: 'edit', targetId, body: str(p.body) ?? '', timestamp: at });
      break;
    }
    default:
      return false;
  }
  return true;
}
