// EngineAdapter for WuzAPI (asternic/wuzapi): one WuzAPI user per device, reached with its token.
// Shapes checked against the real handlers (handlers.go, wmiau.go at upstream commit
// 30c1805720c630b4ecfc842dd3ff63966c3ba315); docs/engines.md says what the API can and cannot do.
import { createHmac, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { AppError } from '../../../platform/errors.js';
import type {
  CreateSessionInput, CreatedSession, DownloadedMedia, EngineAdapter, EngineChat, EngineContact, EngineMessage, EngineSession, LidMapping,
  MediaRef, ParsedWebhook, ProxyRules, QrState, RawWebhook, ReplyRef, SendMediaInput, SendResult, SendTextInput, SessionState,
} from '../engine.types.js';
import { engineRejected } from '../engine-errors.js';
import { EngineHttp, type EngineRequest, arr, dateOf, engineMessageOf, obj, str, type Obj } from '../engine-http.js';
import { digitsOf, isGroup, toCanonical, toWuzapi } from '../jid.js';
import { dataOf, pick, wuzStatus } from './wuzapi-map.js';
import { historyRowMessage } from './wuzapi-history.js';
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

/**
 * Every WuzAPI event the gateway reads (names from constants.go supportedEventTypes). AddUser answers
 * 400 to a name it does not know (an older server): createSession drops that name and tries again;
 * /session/connect drops unknown names silently, and its answer says what it kept.
 */
export const WUZAPI_EVENTS = [
  'Message', 'ReadReceipt', 'HistorySync', 'UndecryptableMessage',
  'CallOffer', 'CallOfferNotice', 'CallAccept', 'CallTerminate',
  'GroupInfo', 'JoinedGroup', 'Picture',
  'Connected', 'PairSuccess', 'LoggedOut', 'Disconnected', 'QR', 'ConnectFailure', 'ClientOutdated', 'TemporaryBan', 'StreamReplaced',
];

/** The user's token, derived from the device's webhook key: a create repeated for the same device asks with the same token, which WuzAPI answers 409. */
const tokenFor = (hmacKey: string, name: string) => createHmac('sha256', hmacKey).update(`wuzapi-user-token:${name}`).digest('hex').slice(0, 48);

/** The user's id in an admin or status answer: a 32-hex string today, a number on old servers. */
const idOf = (o: Obj): string | null => str(o.id) ?? (typeof o.id === 'number' ? String(o.id) : null);

/** The event name a 400 of AddUser names ("invalid event: X"), if any. */
const refusedEvent = (data: unknown): string | null => {
  const o = obj(data);
  const text = [o.details, o.error, o.message].filter((v) => typeof v === 'string').join(' ');
  return /invalid event/i.test(text) ? (text.match(/invalid event:\s*([A-Za-z.]+)/i)?.[1] ?? '') : null;
};

/** A WhatsApp-style message id (whatsmeow: "3EB0" + upper-case hex), so a send knows its key id up front. */
const newMessageId = () => `3EB0${randomBytes(9).toString('hex').toUpperCase()}`;

export class WuzapiAdapter implements EngineAdapter {
  readonly kind = 'wuzapi' as const;
  /** Most history arrives as HistorySync webhooks; /chat/history holds only what WuzAPI saved. */
  readonly pushesHistory = true;
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
    const token = tokenFor(input.hmacKey, s.session);
    let events = [...WUZAPI_EVENTS];
    const dropped: string[] = [];
    let engineRef: string | null = null;
    for (;;) {
      let r: { status: number; data: unknown };
      try {
        r = await this.admin(s, {
          method: 'POST',
          path: '/admin/users',
          body: { name: s.session, token, webhook: input.webhookUrl, events: events.join(','), hmacKey: input.hmacKey, history: this.cfg.history ?? 500 },
          accept: [400, 409],
        });
      } catch (e) {
        // The answer may be lost after the user was made: look for our token before giving up.
        const mine = await this.findUser(s, token).catch(() => null);
        if (!mine) throw e;
        r = { status: 409, data: null };
      }
      if (r.status === 400) {
        // An older server refuses a name it does not know: subscribe again without it.
        const bad = refusedEvent(r.data);
        if (bad === null) throw engineRejected('WuzAPI', 400, engineMessageOf(r.data, 400));
        const next = bad && events.includes(bad) ? events.filter((e) => e !== bad) : [];
        dropped.push(...(bad && events.includes(bad) ? [bad] : events));
        if (next.length === events.length || !events.length) throw engineRejected('WuzAPI', 400, engineMessageOf(r.data, 400));
        events = next;
        continue;
      }
      if (r.status === 409) {
        // 409 means only "this token is taken": with our derived token, that is this device's own user
        // (a create repeated after a lost answer). Take it over: our webhook and events again.
        const mine = await this.findUser(s, token);
        if (!mine) throw engineRejected('WuzAPI', 409, engineMessageOf(r.data, 409));
        engineRef = idOf(mine);
        await this.user(s, { method: 'POST', path: '/webhook', body: { webhookurl: input.webhookUrl, events }, idempotent: true }, token);
      } else {
        const d = obj(dataOf(r.data));
        engineRef = idOf(d) ?? idOf(obj(r.data));
      }
      break;
    }
    if (dropped.length) this.cfg.logger?.warn({ session: s.session, dropped }, 'WuzAPI refused some event names; subscribed without them');
    await this.connect(s, token, events);
    return { token, ...(engineRef ? { engineRef } : {}) };
  }

  /** The admin's view of the user holding `token`. */
  private async findUser(s: EngineSession, token: string): Promise<Obj | null> {
    const list = await this.admin(s, { method: 'GET', path: '/admin/users' });
    return arr(dataOf(list.data)).map(obj).find((u) => u.token === token) ?? null;
  }

  /** POST /session/connect; "already connected" is success. Names WuzAPI drops are logged. */
  private async connect(s: EngineSession, token = this.token(s), events = WUZAPI_EVENTS): Promise<void> {
    const r = await this.user(s, { method: 'POST', path: '/session/connect', body: { Subscribe: events, Immediate: true }, accept: [400, 409, 500] }, token);
    const message = engineMessageOf(r.data, r.status);
    if (r.status >= 300 && !/already connected/i.test(message)) throw engineRejected('WuzAPI', r.status, message);
    const kept = str(obj(dataOf(r.data)).events);
    if (r.status < 300 && kept !== null) {
      const keptSet = new Set(kept.split(',').map((e) => e.trim()));
      const dropped = events.filter((e) => !keptSet.has(e));
      if (dropped.length) this.cfg.logger?.warn({ session: s.session, dropped }, 'WuzAPI dropped event names it does not know from the subscription');
    }
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
      const mine = arr(dataOf(list.data)).map(obj).find((u) => (s.token ? u.token === s.token : u.name === s.session));
      id = mine ? idOf(mine) : null;
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
    const b64 = input.data.toString('base64');
    const body: Obj = { Phone: toWuzapi(input.chatJid), Id: id };
    let path: string;
    // handlers.go: SendImage wants "data:image…", SendAudio "data:audio/…" (type in `mimetype`), and
    // SendDocument only "data:application/octet-stream;base64,…" with the real type in MimeType.
    if (input.kind === 'image' && input.mimetype.startsWith('image/')) {
      path = '/chat/send/image';
      Object.assign(body, { Image: `data:${input.mimetype};base64,${b64}`, Caption: input.caption ?? '', MimeType: input.mimetype });
    } else if (input.kind === 'audio' && input.mimetype.startsWith('audio/')) {
      path = '/chat/send/audio';
      Object.assign(body, { Audio: `data:${input.mimetype};base64,${b64}`, mimetype: input.mimetype });
    } else {
      path = '/chat/send/document';
      Object.assign(body, { Document: `data:application/octet-stream;base64,${b64}`, FileName: input.filename, MimeType: input.mimetype, ...(input.caption ? { Caption: input.caption } : {}) });
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

  /**
   * The user's id on the server (the key of the history index): GET /session/status `id`, which is
   * the 32-hex id POST /admin/users answered (older servers: a number).
   */
  private async userId(s: EngineSession): Promise<string | null> {
    const r = await this.user(s, { method: 'GET', path: '/session/status', accept: [500] });
    return (r.status < 300 ? idOf(obj(dataOf(r.data))) : null) ?? s.engineRef ?? null;
  }

  /**
   * GET /chat/history?chat_jid=index answers {userId: [{chat_jid, last_updated}]} for EVERY user of the
   * server and ignores limit/offset: only this device's user's entry is read, and the whole list comes
   * on the first page. Group names come from /group/list (the index has none). 501: history is off.
   */
  async listChats(s: EngineSession, page: { offset: number; limit: number }): Promise<EngineChat[]> {
    if (page.offset > 0) return [];
    const id = await this.userId(s);
    if (!id) {
      this.cfg.logger?.warn({ session: s.session }, 'WuzAPI user id unknown: no chats read from the shared history index');
      return [];
    }
    const r = await this.user(s, { method: 'GET', path: '/chat/history', query: { chat_jid: 'index' }, accept: [501] });
    if (r.status === 501) return [];
    const mine = arr(obj(dataOf(r.data))[id]);
    const names = await this.groupNames(s).catch(() => new Map<string, string>());
    const out: EngineChat[] = [];
    for (const row of mine.map(obj)) {
      const jid = toCanonical(str(row.chat_jid));
      if (!jid || out.some((c) => c.jid === jid)) continue;
      out.push({ jid, name: names.get(jid) ?? null, isGroup: isGroup(jid), lastMessageAt: dateOf(row.last_updated), messageCount: null });
    }
    return out;
  }

  private async groupNames(s: EngineSession): Promise<Map<string, string>> {
    const r = await this.user(s, { method: 'GET', path: '/group/list', accept: [500] });
    const out = new Map<string, string>();
    for (const g of arr(obj(dataOf(r.data)).Groups).map(obj)) {
      const jid = toCanonical(str(g.JID));
      const name = str(g.Name);
      if (jid && name) out.set(jid, name);
    }
    return out;
  }

  /**
   * GET /chat/history?chat_jid=X&limit=N: newest first by the time WuzAPI saved each row, and no
   * offset — a page further back is read by asking for offset+limit rows and keeping the tail
   * (what arrived meanwhile only shifts the window: rows are read again, deduplicated by id, never
   * skipped). What the server trimmed (its per-user `history` setting) cannot be read at all.
   */
  async listMessages(s: EngineSession, chatJid: string, page: { offset: number; limit: number }): Promise<EngineMessage[]> {
    const r = await this.user(s, { method: 'GET', path: '/chat/history', query: { chat_jid: toWuzapi(chatJid), limit: page.offset + page.limit }, accept: [501] });
    if (r.status === 501) return [];
    const rows = arr(dataOf(r.data)).slice(page.offset);
    const me = rows.some((row) => str(obj(row).sender_jid) === 'me') ? ((await this.getState(s)).jid ?? null) : null;
    return rows.map((row) => historyRowMessage(obj(row), me)).filter((m): m is EngineMessage => m !== null);
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
