// EngineAdapter for WuzAPI (asternic/wuzapi): one WuzAPI user per device, reached with its token.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { AppError } from '../../../platform/errors.js';
import type {
  CreateSessionInput, CreatedSession, DownloadedMedia, EngineAdapter, EngineChat, EngineContact, EngineMessage, EngineSession, LidMapping,
  MediaRef, ParsedWebhook, ProxyRules, QrState, RawWebhook, ReplyRef, SendMediaInput, SendResult, SendTextInput, SessionState,
} from '../engine.types.js';
import { engineRejected } from '../engine-errors.js';
import { EngineHttp, type EngineRequest, arr, dateOf, engineMessageOf, obj, str, type Obj } from '../engine-http.js';
import { digitsOf, isGroup, toCanonical, toWuzapi } from '../jid.js';
import { dataOf, historyRowMessage, pick, wuzStatus } from './wuzapi-map.js';
import { wuzapiProxyRules } from './wuzapi-proxy.rules.js';
import { decodeQrDataUrl } from './wuzapi-qr.js';
import { parseWuzapiWebhook, verifyWuzapiWebhook } from './wuzapi-webhook.parser.js';

export interface WuzapiAdapterConfig {
  /** Configured WuzAPI URL; a device's own `baseUrl` wins. */
  baseUrl?: string;
  adminToken: string;
  timeoutMs: number;
  retries: number;
  retryBaseMs?: number;
  /** Messages per chat WuzAPI keeps for /chat/history. */
  history?: number;
  logger?: Logger;
}

export const WUZAPI_EVENTS = ['Message', 'ReadReceipt', 'Connected', 'PairSuccess', 'LoggedOut', 'Disconnected', 'QR', 'HistorySync'];

/** A WhatsApp-style message id (whatsmeow: "3EB0" + upper-case hex), so a send knows its key id up front. */
const newMessageId = () => `3EB0${randomBytes(9).toString('hex').toUpperCase()}`;

export class WuzapiAdapter implements EngineAdapter {
  readonly kind = 'wuzapi' as const;
  private readonly http: EngineHttp;

  constructor(private readonly cfg: WuzapiAdapterConfig) {
    this.http = new EngineHttp({ engine: 'WuzAPI', timeoutMs: cfg.timeoutMs, retries: cfg.retries, retryBaseMs: cfg.retryBaseMs, logger: cfg.logger });
  }

  private base(s: EngineSession): string {
    const url = s.baseUrl ?? this.cfg.baseUrl;
    if (!url) throw new AppError('engine_not_configured', 400, 'No WuzAPI URL is configured for this device');
    return url;
  }

  private token(s: EngineSession): string {
    if (!s.token) throw new AppError('engine_session_incomplete', 409, 'This device has no WuzAPI user token; delete and recreate it');
    return s.token;
  }

  /** A call as the device's user (header Token). */
  private user(s: EngineSession, req: Omit<EngineRequest, 'baseUrl' | 'headers'>, token = this.token(s)) {
    return this.http.call({ ...req, baseUrl: this.base(s), headers: { Token: token } });
  }

  /** A call as the WuzAPI admin (header Authorization, no "Bearer"). */
  private admin(s: EngineSession, req: Omit<EngineRequest, 'baseUrl' | 'headers'>) {
    return this.http.call({ ...req, baseUrl: this.base(s), headers: { Authorization: this.cfg.adminToken } });
  }

  // ── session lifecycle ────────────────────────────────────────────────────────────────────────

  async createSession(s: EngineSession, input: CreateSessionInput): Promise<CreatedSession> {
    let token = randomBytes(24).toString('hex');
    const events = WUZAPI_EVENTS.join(',');
    const r = await this.admin(s, {
      method: 'POST',
      path: '/admin/users',
      body: { name: s.session, token, webhook: input.webhookUrl, events, hmacKey: input.hmacKey, history: this.cfg.history ?? 500 },
      accept: [400, 409, 500],
    });
    let engineRef: string | null;
    if (r.status < 300) {
      const d = obj(dataOf(r.data));
      engineRef = str(d.id) ?? str(obj(r.data).id) ?? (typeof d.id === 'number' ? String(d.id) : null);
    } else {
      // A retried create finds its user: take it over (same name) and point its webhook at us again.
      const message = engineMessageOf(r.data, r.status);
      if (!/exist/i.test(message)) throw engineRejected('WuzAPI', r.status, message);
      const list = await this.admin(s, { method: 'GET', path: '/admin/users' });
      const mine = arr(dataOf(list.data)).map(obj).find((u) => u.name === s.session);
      if (!mine || !str(mine.token)) throw engineRejected('WuzAPI', r.status, message);
      token = str(mine.token)!;
      engineRef = str(mine.id) ?? (typeof mine.id === 'number' ? String(mine.id) : null);
      await this.user(s, { method: 'POST', path: '/webhook', body: { webhookURL: input.webhookUrl, events: WUZAPI_EVENTS }, idempotent: true }, token);
    }
    await this.connect(s, token);
    return { token, ...(engineRef ? { engineRef } : {}) };
  }

  /** POST /session/connect; "already connected" is success. */
  private async connect(s: EngineSession, token = this.token(s)): Promise<void> {
    const r = await this.user(s, { method: 'POST', path: '/session/connect', body: { Subscribe: WUZAPI_EVENTS, Immediate: true }, accept: [400, 409, 500] }, token);
    const message = engineMessageOf(r.data, r.status);
    if (r.status >= 300 && !/already connected/i.test(message)) throw engineRejected('WuzAPI', r.status, message);
  }

  async getState(s: EngineSession): Promise<SessionState> {
    const r = await this.user(s, { method: 'GET', path: '/session/status', accept: [401] });
    if (r.status === 401) return { status: 'disconnected', jid: null, pushName: null }; // the user is gone
    const { status, jid } = wuzStatus(dataOf(r.data));
    return { status, jid, pushName: null };
  }

  async getQr(s: EngineSession): Promise<QrState> {
    const { status } = await this.getState(s);
    if (status === 'disconnected') {
      // After a logout WuzAPI drops the connection; WAHA would show a new QR, so reconnect to get one.
      await this.connect(s);
      return { status: 'starting', qr: null };
    }
    if (status !== 'qr') return { status, qr: null };
    const r = await this.user(s, { method: 'GET', path: '/session/qr', accept: [500] });
    if (r.status === 500) return { status: (await this.getState(s)).status, qr: null }; // logged in meanwhile
    const dataUrl = str(pick(obj(dataOf(r.data)), 'QRCode', 'qrcode', 'QrCode'));
    return { status: 'qr', qr: decodeQrDataUrl(dataUrl) };
  }

  async requestPairingCode(s: EngineSession, phoneDigits: string): Promise<string> {
    if ((await this.getState(s)).status === 'disconnected') await this.connect(s);
    const r = await this.user(s, { method: 'POST', path: '/session/pairphone', body: { Phone: digitsOf(phoneDigits) } });
    const code = str(pick(obj(dataOf(r.data)), 'LinkingCode', 'linkingCode', 'code'));
    if (!code) throw engineRejected('WuzAPI', r.status, 'no linking code in the answer');
    return code;
  }

  async logout(s: EngineSession): Promise<void> {
    // WuzAPI refuses to log out a session that is not logged in: that is already the wanted state.
    if ((await this.getState(s)).status !== 'connected') return;
    await this.user(s, { method: 'POST', path: '/session/logout', idempotent: true });
  }

  async deleteSession(s: EngineSession): Promise<void> {
    let id = s.engineRef ?? null;
    if (!id) {
      const list = await this.admin(s, { method: 'GET', path: '/admin/users' });
      const mine = arr(dataOf(list.data)).map(obj).find((u) => u.name === s.session);
      id = mine ? (str(mine.id) ?? (typeof mine.id === 'number' ? String(mine.id) : null)) : null;
      if (!id) return; // nothing to delete
    }
    // /full: a plain DELETE leaves the token working.
    await this.admin(s, { method: 'DELETE', path: `/admin/users/${encodeURIComponent(id)}/full`, idempotent: true, accept: [404] });
  }

  // ── sending ──────────────────────────────────────────────────────────────────────────────────

  async sendText(s: EngineSession, input: SendTextInput): Promise<SendResult> {
    const id = input.id ?? newMessageId();
    const body: Obj = { Phone: toWuzapi(input.chatJid), Body: input.text, Id: id };
    if (input.replyTo) body.ContextInfo = await this.contextInfo(s, input.chatJid, input.replyTo);
    return this.sent(await this.user(s, { method: 'POST', path: '/chat/send/text', body }), id);
  }

  async sendMedia(s: EngineSession, input: SendMediaInput): Promise<SendResult> {
    const id = input.id ?? newMessageId();
    const dataUrl = `data:${input.mimetype};base64,${input.data.toString('base64')}`;
    const body: Obj = { Phone: toWuzapi(input.chatJid), Id: id };
    let path: string;
    if (input.kind === 'image') {
      path = '/chat/send/image';
      Object.assign(body, { Image: dataUrl, Caption: input.caption ?? '' });
    } else if (input.kind === 'audio') {
      path = '/chat/send/audio';
      body.Audio = dataUrl;
    } else {
      path = '/chat/send/document';
      Object.assign(body, { Document: dataUrl, FileName: input.filename, ...(input.caption ? { Caption: input.caption } : {}) });
    }
    if (input.replyTo) body.ContextInfo = await this.contextInfo(s, input.chatJid, input.replyTo);
    return this.sent(await this.user(s, { method: 'POST', path, body }), id);
  }

  /** whatsmeow honours the Id it is given: the gateway picks it once and every retry reuses it. */
  newMessageId(): string {
    return newMessageId();
  }

  // WuzAPI delivers media inline (base64) in the webhook; there is no link to fetch later.
  async downloadMedia(_s: EngineSession, media: MediaRef, maxBytes: number): Promise<DownloadedMedia> {
    if (!media.base64) throw engineRejected('WuzAPI', 404, 'the message carries no inline media');
    const data = Buffer.from(media.base64, 'base64');
    if (data.length > maxBytes) throw engineRejected('WuzAPI', 413, `media larger than ${maxBytes} bytes`);
    return { data, mimetype: media.mimetype };
  }

  /** whatsmeow wants the quoted message's author; our own JID comes from the status when we quote ourselves. */
  private async contextInfo(s: EngineSession, chatJid: string, rt: ReplyRef): Promise<Obj> {
    const author = rt.senderJid ?? (rt.fromMe ? (await this.getState(s)).jid : isGroup(chatJid) ? null : chatJid);
    return { StanzaID: rt.id, Participant: author ? toWuzapi(author) : toWuzapi(chatJid) };
  }

  private sent(r: { data: unknown }, id: string): SendResult {
    const d = obj(dataOf(r.data));
    return { id: str(pick(d, 'Id', 'ID', 'id')) ?? id, engineFullId: null, timestamp: dateOf(pick(d, 'Timestamp', 'timestamp')) ?? new Date() };
  }

  async markSeen(s: EngineSession, chatJid: string, messages: { id: string; engineFullId?: string | null; senderJid?: string | null }[]): Promise<void> {
    if (messages.length === 0) return;
    const chat = toWuzapi(chatJid);
    // One call per author: a group's messages have different senders.
    const bySender = new Map<string, string[]>();
    for (const m of messages) {
      const sender = isGroup(chatJid) && m.senderJid ? toWuzapi(m.senderJid) : chat;
      bySender.set(sender, [...(bySender.get(sender) ?? []), m.id]);
    }
    for (const [sender, ids] of bySender) {
      await this.user(s, {
        method: 'POST',
        path: '/chat/markread',
        body: { Id: ids, ChatPhone: chat, SenderPhone: sender, Chat: chat, Sender: sender },
        idempotent: true,
      });
    }
  }

  // ── reading ──────────────────────────────────────────────────────────────────────────────────

  async listChats(s: EngineSession, page: { offset: number; limit: number }): Promise<EngineChat[]> {
    const r = await this.user(s, { method: 'GET', path: '/chat/history', query: { chat_jid: 'index', limit: page.limit, offset: page.offset } });
    const out: EngineChat[] = [];
    for (const row of arr(dataOf(r.data)).map(obj)) {
      const jid = toCanonical(str(row.chat_jid));
      if (!jid) continue;
      const count = typeof row.message_count === 'number' ? row.message_count : null;
      out.push({ jid, name: str(row.name), isGroup: isGroup(jid), lastMessageAt: dateOf(row.last_message_time), messageCount: count });
    }
    return out;
  }

  async listMessages(s: EngineSession, chatJid: string, page: { offset: number; limit: number }): Promise<EngineMessage[]> {
    const r = await this.user(s, { method: 'GET', path: '/chat/history', query: { chat_jid: toWuzapi(chatJid), limit: page.limit, offset: page.offset } });
    return arr(dataOf(r.data)).map((row) => historyRowMessage(obj(row))).filter((m): m is EngineMessage => m !== null);
  }

  async listContacts(s: EngineSession): Promise<EngineContact[]> {
    const r = await this.user(s, { method: 'GET', path: '/user/contacts' });
    const out: EngineContact[] = [];
    for (const [key, value] of Object.entries(obj(dataOf(r.data)))) {
      const jid = toCanonical(key);
      if (!jid) continue;
      const c = obj(value);
      out.push({ jid, pushName: str(c.PushName), fullName: str(c.FullName) ?? str(c.FirstName), businessName: str(c.BusinessName) });
    }
    return out;
  }

  // WuzAPI offers no LID map; webhooks carry SenderAlt instead (parsed into lid events).
  async listLids(_s: EngineSession): Promise<LidMapping[]> {
    return [];
  }

  async resolveLid(_s: EngineSession, _lid: string): Promise<string | null> {
    return null;
  }

  // WuzAPI: POST /user/check {Phone: [...]} → {Users: [{Query, IsInWhatsapp, JID, VerifiedName}]} (handlers.go CheckUser).
  async checkNumber(s: EngineSession, phoneDigits: string): Promise<{ exists: boolean; jid: string | null }> {
    const r = await this.user(s, { method: 'POST', path: '/user/check', body: { Phone: [phoneDigits] } });
    const u = obj(arr(obj(dataOf(r.data)).Users)[0]);
    const exists = u.IsInWhatsapp === true;
    return { exists, jid: exists ? (toCanonical(str(u.JID)) ?? `${phoneDigits}@s.whatsapp.net`) : null };
  }

  // ── webhooks and proxy ───────────────────────────────────────────────────────────────────────

  verifyWebhook(raw: RawWebhook, hmacKey: string, opts: { allowUnsigned: boolean }): boolean {
    return verifyWuzapiWebhook(raw, hmacKey, opts.allowUnsigned);
  }

  parseWebhook(raw: RawWebhook): ParsedWebhook {
    return parseWuzapiWebhook(raw);
  }

  proxyRules(s: EngineSession): ProxyRules {
    return wuzapiProxyRules(this.base(s), this.token(s));
  }
}
