// Engine-neutral control actions: what the phone or a contact does, fanned out as each engine would report it.
import type { SimContext } from '../context.js';
import { SimError } from '../context.js';
import {
  type Account, type SimMedia, type SimMessage, addMessage, countMessages, digitsOf, ensureChat, ensureContact, findMessage, lidOf,
} from '../state/account.js';
import { fillHistory } from '../state/history.js';
import type { WahaSession, WuzUser } from '../state/store.js';
import { waMessageId } from '../util/ids.js';
import { extensionFor } from '../util/mime.js';
import { nowSeconds } from '../util/time.js';
import { ACK_NAMES, toWAMessage, wahaMessageId } from '../waha/format.js';
import { logoutSession, scanSession } from '../waha/session-machine.js';
import { emitWaha } from '../waha/webhook-sender.js';
import { messageEventFields, receiptFields, wuzChatJid } from '../wuzapi/format.js';
import { emitHistorySync, phoneLogoutUser, scanUser } from '../wuzapi/user-machine.js';
import { goJson, historyTextOf, historyTypeOf, saveRow, trimRows } from '../wuzapi/history-table.js';
import { emitWuz } from '../wuzapi/webhook-sender.js';

export type Target = WahaSession | WuzUser;
type Obj = Record<string, unknown>;

/** `:session` is a WAHA session name or a WuzAPI user name; `?engine=` settles a clash. */
export function findTarget(ctx: SimContext, name: string, engine?: unknown): Target {
  const waha = engine === 'wuzapi' ? undefined : ctx.store.waha.get(name);
  const wuz = engine === 'waha' ? undefined : ctx.store.wuzByName(name);
  const t = waha ?? wuz;
  if (!t) throw new SimError(404, `no WAHA session or WuzAPI user named ${name}`);
  return t;
}

function requireOnline(t: Target): void {
  const online = t.engine === 'waha' ? t.status === 'WORKING' : t.connected && t.loggedIn;
  if (!online) throw new SimError(409, `${t.name} is not connected to a phone`);
}

export function scan(ctx: SimContext, t: Target, phone?: unknown): void {
  const p = typeof phone === 'string' && phone ? digitsOf(phone) : undefined;
  if (t.engine === 'waha') scanSession(ctx, t, p);
  else scanUser(ctx, t, p);
}

export function phoneLogout(ctx: SimContext, t: Target): void {
  if (t.engine === 'waha') logoutSession(ctx, t);
  else phoneLogoutUser(ctx, t);
}

function wantsLid(ctx: SimContext, explicit: unknown): boolean {
  if (typeof explicit === 'boolean') return explicit;
  const f = ctx.store.faults.lidSender;
  return typeof f === 'number' ? Math.random() < f : f;
}

function groupKey(acc: Account, group: unknown, sender: string, groupName: unknown): string | null {
  if (group === undefined || group === null || group === false) return null;
  const id = group === true ? '120363000000000001' : digitsOf(String(group));
  if (!id) throw new SimError(400, 'group must be true or a group id');
  const key = `${id}@g.us`;
  let g = acc.groups.get(key);
  if (!g) acc.groups.set(key, (g = { id: key, subject: typeof groupName === 'string' ? groupName : `Sim group ${id.slice(-4)}`, participants: [] }));
  if (!g.participants.includes(sender)) g.participants.push(sender);
  ensureChat(acc, key, g.subject);
  return key;
}

/** A contact writes: stores the message on the phone and posts the engine's webhook(s). */
export function inbound(ctx: SimContext, t: Target, b: Obj): Obj {
  requireOnline(t);
  if (typeof b.from !== 'string' || !digitsOf(b.from)) throw new SimError(400, 'from (a phone number) is required');
  const mediaIn = b.media as Obj | undefined;
  if (typeof b.body !== 'string' && !mediaIn) throw new SimError(400, 'body or media is required');
  const acc = t.account;
  const from = digitsOf(b.from);
  const pushName = typeof b.pushName === 'string' ? b.pushName : null;
  ensureContact(acc, from, null, pushName);
  const gk = groupKey(acc, b.group, from, b.groupName);
  const id = waMessageId();
  let media: SimMedia | null = null;
  if (mediaIn) {
    if (typeof mediaIn.mimetype !== 'string' || typeof mediaIn.data !== 'string') throw new SimError(400, 'media needs mimetype and data (base64)');
    const filename = typeof mediaIn.filename === 'string' ? mediaIn.filename : null;
    media = { fileName: `${id}.${extensionFor(mediaIn.mimetype, filename)}`, mimetype: mediaIn.mimetype, filename, data: Buffer.from(mediaIn.data, 'base64') };
  }
  const viaLid = wantsLid(ctx, b.lid);
  const replyTo = typeof b.replyTo === 'string' ? (findMessage(acc, b.replyTo)?.id ?? null) : null;
  ensureChat(acc, gk ?? from, gk ? null : pushName);
  const m: SimMessage = {
    id, chat: gk ?? from, fromMe: false, sender: gk ? from : null, timestamp: nowSeconds(), body: typeof b.body === 'string' ? b.body : '',
    media, ack: 2, source: 'app', replyTo, pushName, viaLid,
  };
  addMessage(acc, m);
  if (t.engine === 'waha') {
    const payload = toWAMessage(ctx, t, m, { lidForm: viaLid });
    emitWaha(ctx, t, 'message', payload);
    emitWaha(ctx, t, 'message.any', payload);
    return { engine: 'waha', id: payload.id, messageId: payload.id, shortId: id, from: payload.from, lid: viaLid ? `${lidOf(acc, from)}@lid` : null };
  }
  const fields = messageEventFields(acc, m, viaLid);
  emitWuz(ctx, t, 'Message', fields);
  // wmiau.go Message: saved to message_history (data_json = the event) when history is on, then trimmed.
  if (t.history > 0) {
    const chatJid = wuzChatJid(m.chat);
    const info = (fields.event as { Info: { Sender: string } }).Info;
    saveRow(ctx, t, {
      chat_jid: chatJid, sender_jid: info.Sender, message_id: m.id, message_type: historyTypeOf(m), text_content: historyTextOf(m), media_link: '',
      quoted_message_id: m.replyTo ?? '', data_json: goJson(fields.event),
    });
    trimRows(t, chatJid, t.history);
  }
  return { engine: 'wuzapi', id, messageId: id, shortId: id, lid: viaLid ? `${lidOf(acc, from)}@lid` : null };
}

const ACK_BY_NAME: Record<string, number> = {
  ERROR: -1, PENDING: 0, SERVER: 1, DEVICE: 2, DELIVERED: 2, READ: 3, PLAYED: 4,
};

/** A delivery/read receipt: WAHA message.ack, WuzAPI ReadReceipt (Delivered/Read/ReadSelf). */
export function ack(ctx: SimContext, t: Target, b: Obj): Obj {
  requireOnline(t);
  if (typeof b.messageId !== 'string') throw new SimError(400, 'messageId is required');
  const m = findMessage(t.account, b.messageId);
  if (!m) throw new SimError(404, `no message ${b.messageId}`);
  const level = typeof b.ack === 'number' ? b.ack : typeof b.ack === 'string' ? ACK_BY_NAME[b.ack.toUpperCase()] : undefined;
  if (level === undefined || !(level in ACK_NAMES)) throw new SimError(400, 'ack must be -1..4 or ERROR|PENDING|SERVER|DEVICE|READ|PLAYED');
  m.ack = Math.max(m.ack, level);
  if (t.engine === 'waha') {
    const wa = toWAMessage(ctx, t, m, { lidForm: m.viaLid });
    const payload = { id: wa.id, from: wa.from, to: wa.to, participant: wa.participant, fromMe: m.fromMe, ack: level, ackName: ACK_NAMES[level], _data: {} };
    emitWaha(ctx, t, 'message.ack', payload);
    return { engine: 'waha', messageId: wahaMessageId(t.account, m, m.viaLid), ack: level, ackName: ACK_NAMES[level] };
  }
  const fields = receiptFields(t.account, m, level);
  if (fields) emitWuz(ctx, t, 'ReadReceipt', fields);
  return { engine: 'wuzapi', messageId: m.id, ack: level, state: fields?.state ?? null };
}

export function history(ctx: SimContext, t: Target, b: Obj): Obj {
  const chats = Number(b.chats ?? 0);
  const per = Number(b.messagesPerChat ?? 0);
  if (!Number.isFinite(chats) || !Number.isFinite(per) || chats < 0 || per < 0) throw new SimError(400, 'chats and messagesPerChat must be numbers ≥ 0');
  let r: ReturnType<typeof fillHistory>;
  try {
    r = fillHistory(t.account, { chats, messagesPerChat: per });
  } catch (e) {
    throw new SimError(400, (e as Error).message);
  }
  // A WuzAPI phone already paired pushes what it now holds as HistorySync (on demand), as after a pairing.
  if (t.engine === 'wuzapi' && t.loggedIn) emitHistorySync(ctx, t, new Set(r.chatIds));
  return { ...r };
}

/** What /_sim/sessions/:session shows: state plus the webhook settings the gateway gave. */
export function describe(t: Target): Obj {
  const acc = t.account;
  const common = { name: t.name, phone: acc.phone, pushName: acc.pushName, chats: acc.chats.size, messages: countMessages(acc), contacts: acc.contacts.size };
  if (t.engine === 'waha') {
    return {
      engine: 'waha', ...common, status: t.status, statuses: t.statuses, qr: t.qr, started: t.status !== 'STOPPED',
      store: t.config.noweb.store, metadata: t.config.metadata,
      webhooks: t.config.webhooks.map((w) => ({ url: w.url, events: w.events, hmacKey: w.hmac?.key ?? null, retries: w.retries, customHeaders: w.customHeaders })),
    };
  }
  return {
    engine: 'wuzapi', ...common, id: t.id, status: t.loggedIn ? 'LOGGED_IN' : t.connected ? 'CONNECTED' : 'DISCONNECTED',
    connected: t.connected, loggedIn: t.loggedIn, qr: t.qr, qrDataUrl: t.qrDataUrl || null, token: t.token, deleted: t.deleted, history: t.history,
    webhooks: [{ url: t.webhook, events: t.events, hmacKey: t.hmacKey }],
  };
}
