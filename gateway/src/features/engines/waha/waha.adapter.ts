// EngineAdapter for WAHA (devlikeapro/waha): one WAHA session per device, or one WAHA per device
// with its "default" session (the device then carries its own URL).
import type { Logger } from 'pino';
import { AppError } from '../../../platform/errors.js';
import type {
  CreateSessionInput, CreatedSession, DownloadedMedia, EngineAdapter, EngineChat, EngineContact, EngineMessage, EngineSession, LidMapping,
  MediaRef, ParsedWebhook, ProxyRules, QrState, RawWebhook, ReplyRef, SendMediaInput, SendResult, SendTextInput, SessionState,
} from '../engine.types.js';
import { engineRejected } from '../engine-errors.js';
import { EngineHttp, type EngineRequest, dateOf, engineMessageOf, obj, str, type Obj } from '../engine-http.js';
import { digitsOf, isGroup, isLid, toCanonical, toWaha } from '../jid.js';
import { buildSerializedId, keyIdOf, listOf, serializedOf, wahaMessage, wahaStatus, wahaStatusDetail } from './waha-map.js';
import { wahaProxyRules } from './waha-proxy.rules.js';
import { parseWahaWebhook, verifyWahaWebhook } from './waha-webhook.parser.js';

export interface WahaAdapterConfig {
  /** Configured WAHA URL; a device's own `baseUrl` wins. */
  baseUrl?: string;
  apiKey: string;
  timeoutMs: number;
  retries: number;
  retryBaseMs?: number;
  logger?: Logger;
}

/**
 * Every WAHA event the gateway reads (names from the OpenAPI document 2026.7.1, the `event` enums of
 * the WAHAWebhook* schemas). An older WAHA may refuse a newer name: createSession then subscribes
 * again without the names it refused (logged), down to WAHA_CORE_EVENTS.
 */
export const WAHA_EVENTS = [
  'session.status', 'message', 'message.any', 'message.ack', 'message.reaction', 'message.revoked', 'message.edited', 'message.waiting',
  'poll.vote', 'poll.vote.failed', 'call.received', 'call.accepted', 'call.rejected',
  'group.v2.join', 'group.v2.leave', 'group.v2.update', 'group.v2.participants',
];
/** What every WAHA version knows. */
export const WAHA_CORE_EVENTS = ['session.status', 'message', 'message.any', 'message.ack', 'message.reaction', 'message.revoked', 'message.edited'];

/**
 * The names a refusal leaves us: a validation message listing the allowed values keeps ours that it
 * lists; one naming ours drops those; anything else falls back to the core names. Null: not about events.
 */
export function eventsAfterRefusal(message: string, asked: string[]): string[] | null {
  if (!/event/i.test(message)) return null;
  const named = (n: string) => new RegExp(`(^|[^a-z0-9.])${n.replace(/\./g, '\\.')}([^a-z0-9.]|$)`, 'i').test(message);
  const listed = asked.filter(named);
  const next = listed.length >= 2 ? listed : listed.length === 1 ? asked.filter((n) => n !== listed[0]) : WAHA_CORE_EVENTS.filter((n) => asked.includes(n));
  return next.length < asked.length ? next : asked.length > WAHA_CORE_EVENTS.length ? WAHA_CORE_EVENTS : null;
}
const PAGE = 500;
const enc = encodeURIComponent;

export class WahaAdapter implements EngineAdapter {
  readonly kind = 'waha' as const;
  private readonly http: EngineHttp;

  constructor(private readonly cfg: WahaAdapterConfig) {
    this.http = new EngineHttp({ engine: 'WAHA', timeoutMs: cfg.timeoutMs, retries: cfg.retries, retryBaseMs: cfg.retryBaseMs, logger: cfg.logger });
  }

  private base(s: EngineSession): string {
    const url = s.baseUrl ?? this.cfg.baseUrl;
    if (!url) throw new AppError('engine_not_configured', 400, 'No WAHA URL is configured for this device');
    return url;
  }

  private call(s: EngineSession, req: Omit<EngineRequest, 'baseUrl' | 'headers'>) {
    return this.http.call({ ...req, baseUrl: this.base(s), headers: { 'X-Api-Key': this.cfg.apiKey } });
  }

  // ── session lifecycle ────────────────────────────────────────────────────────────────────────

  async createSession(s: EngineSession, input: CreateSessionInput): Promise<CreatedSession> {
    let events = [...WAHA_EVENTS];
    for (;;) {
      try {
        await this.createWith(s, input, events);
        break;
      } catch (e) {
        const refused = e instanceof AppError && e.code === 'engine_rejected' ? eventsAfterRefusal(String((e.details as { engineMessage?: string } | undefined)?.engineMessage ?? e.message), events) : null;
        if (!refused) throw e;
        this.cfg.logger?.warn({ session: s.session, dropped: events.filter((n) => !refused.includes(n)) }, 'WAHA refused some webhook event names; subscribed without them');
        events = refused;
      }
    }
    return {};
  }

  private async createWith(s: EngineSession, input: CreateSessionInput, events: string[]): Promise<void> {
    const config = {
      metadata: input.metadata ?? {},
      webhooks: [{
        url: input.webhookUrl,
        events,
        hmac: { key: input.hmacKey },
        retries: { policy: 'exponential', delaySeconds: 2, attempts: 15 },
      }],
      // markOnline is required by the document; false keeps the phone receiving its own notifications.
      noweb: { markOnline: false, store: { enabled: true, fullSync: true } },
    };
    const created = await this.call(s, { method: 'POST', path: '/api/sessions', body: { name: s.session, start: true, config }, accept: [400, 409, 422] });
    if (created.status < 300) return;
    const message = engineMessageOf(created.data, created.status);
    if (created.status === 400 || (created.status === 422 && eventsAfterRefusal(message, events))) throw engineRejected('WAHA', created.status, message);
    // The name exists (a retried create, or 'default' on a per-device WAHA): it is ours by name, so
    // bring it to our config and make sure it runs. Any other 422 (e.g. a free image refusing the name) is re-thrown.
    const existing = await this.call(s, { method: 'GET', path: `/api/sessions/${enc(s.session)}`, accept: [404] });
    if (existing.status === 404) throw engineRejected('WAHA', created.status, message);
    await this.call(s, { method: 'PUT', path: `/api/sessions/${enc(s.session)}`, body: { config }, idempotent: true });
    const after = await this.call(s, { method: 'GET', path: `/api/sessions/${enc(s.session)}` });
    const st = String(obj(after.data).status ?? '').toUpperCase();
    if (st === 'STOPPED' || st === 'FAILED' || st === '') {
      await this.call(s, { method: 'POST', path: `/api/sessions/${enc(s.session)}/start`, idempotent: true, accept: [422] });
    }
  }

  async getState(s: EngineSession): Promise<SessionState> {
    const r = await this.call(s, { method: 'GET', path: `/api/sessions/${enc(s.session)}`, accept: [404] });
    if (r.status === 404) return { status: 'disconnected', jid: null, pushName: null }; // no such session on the engine
    const d = obj(r.data);
    const status = wahaStatus(d.status);
    const me = obj(d.me);
    const detail = wahaStatusDetail(d.status);
    return status === 'connected' ? { status, detail, jid: toCanonical(str(me.id)), pushName: str(me.pushName) } : { status, detail, jid: null, pushName: null };
  }

  async getQr(s: EngineSession): Promise<QrState> {
    const r = await this.call(s, { method: 'GET', path: `/api/sessions/${enc(s.session)}`, accept: [404] });
    const raw = String(obj(r.data).status ?? '').toUpperCase();
    if (r.status === 404 || raw !== 'SCAN_QR_CODE') return { status: r.status === 404 ? 'disconnected' : wahaStatus(raw), qr: null };
    const qr = await this.call(s, { method: 'GET', path: `/api/${enc(s.session)}/auth/qr`, query: { format: 'raw' }, accept: [422] });
    if (qr.status === 422) return { status: (await this.getState(s)).status, qr: null }; // scanned or restarted meanwhile
    return { status: 'qr', qr: str(obj(qr.data).value) };
  }

  async requestPairingCode(s: EngineSession, phoneDigits: string): Promise<string> {
    const r = await this.call(s, { method: 'POST', path: `/api/${enc(s.session)}/auth/request-code`, body: { phoneNumber: digitsOf(phoneDigits) } });
    const code = str(obj(r.data).code);
    if (!code) throw engineRejected('WAHA', r.status, 'no pairing code in the answer');
    return code;
  }

  async logout(s: EngineSession): Promise<void> {
    await this.call(s, { method: 'POST', path: `/api/sessions/${enc(s.session)}/logout`, idempotent: true });
  }

  async deleteSession(s: EngineSession): Promise<void> {
    await this.call(s, { method: 'DELETE', path: `/api/sessions/${enc(s.session)}`, idempotent: true, accept: [404] });
  }

  // ── sending ──────────────────────────────────────────────────────────────────────────────────

  async sendText(s: EngineSession, input: SendTextInput): Promise<SendResult> {
    const chatId = toWaha(input.chatJid);
    const body: Obj = { session: s.session, chatId, text: input.text };
    if (input.replyTo) body.reply_to = replyId(input.chatJid, chatId, input.replyTo);
    return sendResultOf((await this.call(s, { method: 'POST', path: '/api/sendText', body })).data);
  }

  async sendMedia(s: EngineSession, input: SendMediaInput): Promise<SendResult> {
    const chatId = toWaha(input.chatJid);
    const file = { mimetype: input.mimetype, filename: input.filename, data: input.data.toString('base64') };
    const body: Obj = { session: s.session, chatId, file };
    if (input.replyTo) body.reply_to = replyId(input.chatJid, chatId, input.replyTo);
    let path = '/api/sendFile';
    if (input.kind === 'image') path = '/api/sendImage';
    if (input.kind === 'audio') {
      path = '/api/sendVoice';
      body.convert = !/^audio\/ogg/.test(input.mimetype); // a voice note must be ogg/opus; WAHA converts others
    } else if (input.caption) body.caption = input.caption;
    return sendResultOf((await this.call(s, { method: 'POST', path, body })).data);
  }

  // WAHA picks the id of what it sends; its message.any echo tells it when the answer does not.
  newMessageId(): string | null {
    return null;
  }

  async downloadMedia(s: EngineSession, media: MediaRef, maxBytes: number): Promise<DownloadedMedia> {
    if (!media.url) throw engineRejected('WAHA', 404, 'the message has no media url');
    // WAHA builds the link from its own idea of its address; the path is what counts, on the device's engine URL.
    let path: string;
    try {
      const u = new URL(media.url, 'http://engine.invalid');
      path = u.pathname + u.search;
    } catch {
      throw engineRejected('WAHA', 400, 'unreadable media url');
    }
    const r = await this.http.download({ baseUrl: this.base(s), path, headers: { 'X-Api-Key': this.cfg.apiKey } }, maxBytes);
    return { data: r.data, mimetype: media.mimetype ?? r.contentType };
  }

  async markSeen(s: EngineSession, chatJid: string, messages: { id: string; engineFullId?: string | null; senderJid?: string | null }[]): Promise<void> {
    const chatId = toWaha(chatJid);
    const group = isGroup(chatJid);
    // Seen is only sent for messages from others, hence fromMe=false when the full id must be built.
    const messageIds = messages.map((m) => m.engineFullId ?? buildSerializedId(false, chatId, m.id, group && m.senderJid ? toWaha(m.senderJid) : null));
    await this.call(s, { method: 'POST', path: '/api/sendSeen', body: { session: s.session, chatId, messageIds }, idempotent: true });
  }

  // ── reading ──────────────────────────────────────────────────────────────────────────────────

  async listChats(s: EngineSession, page: { offset: number; limit: number }): Promise<EngineChat[]> {
    const query = { limit: page.limit, offset: page.offset, sortBy: 'conversationTimestamp', sortOrder: 'desc' };
    let r = await this.call(s, { method: 'GET', path: `/api/${enc(s.session)}/chats`, query, accept: [404] });
    let overview = false;
    if (r.status === 404) {
      const message = engineMessageOf(r.data, 404);
      if (!/^Cannot GET/i.test(message)) throw engineRejected('WAHA', 404, message); // e.g. no such session
      // The route itself is missing on this engine: it still serves the overview.
      r = await this.call(s, { method: 'GET', path: `/api/${enc(s.session)}/chats/overview`, query: { limit: page.limit, offset: page.offset } });
      overview = true;
    }
    const out: EngineChat[] = [];
    for (const item of listOf(r.data)) {
      const c = obj(item);
      const jid = toCanonical(serializedOf(c.id));
      if (!jid) continue;
      const inner = obj(c._chat);
      const last = obj(c.lastMessage);
      out.push({
        jid,
        name: str(c.name) ?? str(c.subject) ?? str(inner.name),
        isGroup: isGroup(jid),
        lastMessageAt: dateOf(c.conversationTimestamp) ?? dateOf(inner.conversationTimestamp) ?? (overview ? dateOf(last.timestamp) : null),
        messageCount: null,
      });
    }
    return out;
  }

  async listMessages(s: EngineSession, chatJid: string, page: { offset: number; limit: number }): Promise<EngineMessage[]> {
    const r = await this.call(s, {
      method: 'GET',
      path: `/api/${enc(s.session)}/chats/${enc(toWaha(chatJid))}/messages`,
      query: { limit: page.limit, offset: page.offset, downloadMedia: false },
    });
    return listOf(r.data).map((m) => wahaMessage(obj(m))).filter((m): m is EngineMessage => m !== null);
  }

  async listContacts(s: EngineSession): Promise<EngineContact[]> {
    return this.paged(s, '/api/contacts/all', { session: s.session }, (item) => {
      const c = obj(item);
      const jid = toCanonical(serializedOf(c.id));
      if (!jid || isGroup(jid)) return null;
      return { jid, pushName: str(c.pushname) ?? str(c.pushName), fullName: str(c.name), businessName: str(c.verifiedName) ?? str(c.businessName) };
    });
  }

  async listLids(s: EngineSession): Promise<LidMapping[]> {
    return this.paged(s, `/api/${enc(s.session)}/lids`, {}, (item) => {
      const c = obj(item);
      const lid = toCanonical(str(c.lid));
      const phoneJid = toCanonical(str(c.pn));
      return lid && phoneJid && isLid(lid) && !isLid(phoneJid) ? { lid, phoneJid } : null;
    });
  }

  async resolveLid(s: EngineSession, lid: string): Promise<string | null> {
    const r = await this.call(s, { method: 'GET', path: `/api/${enc(s.session)}/lids/${enc(toCanonical(lid) ?? lid)}`, accept: [404] });
    if (r.status === 404) return null;
    const pn = toCanonical(str(obj(r.data).pn));
    return pn && !isLid(pn) ? pn : null;
  }

  // WAHA: GET /api/contacts/check-exists?phone&session → {numberExists, chatId} (contacts controller).
  async checkNumber(s: EngineSession, phoneDigits: string): Promise<{ exists: boolean; jid: string | null }> {
    const r = await this.call(s, { method: 'GET', path: '/api/contacts/check-exists', query: { phone: phoneDigits, session: s.session } });
    const o = obj(r.data);
    const exists = o.numberExists === true;
    return { exists, jid: exists ? (toCanonical(serializedOf(o.chatId)) ?? `${phoneDigits}@s.whatsapp.net`) : null };
  }

  /** Pages a list until a short page; stops too if the engine ignores offset and repeats itself. */
  private async paged<T>(s: EngineSession, path: string, query: Record<string, string>, map: (item: unknown) => T | null): Promise<T[]> {
    const out: T[] = [];
    let previousFirst: string | null = null;
    for (let offset = 0; offset < 10_000_000; offset += PAGE) {
      const r = await this.call(s, { method: 'GET', path, query: { ...query, limit: PAGE, offset } });
      const items = listOf(r.data);
      const first = items.length ? JSON.stringify(items[0]) : null;
      if (offset > 0 && first !== null && first === previousFirst) break;
      previousFirst = first;
      for (const item of items) {
        const v = map(item);
        if (v !== null) out.push(v);
      }
      if (items.length < PAGE) break;
    }
    return out;
  }

  // ── webhooks and proxy ───────────────────────────────────────────────────────────────────────

  verifyWebhook(raw: RawWebhook, hmacKey: string, _opts: { allowUnsigned: boolean }): boolean {
    return verifyWahaWebhook(raw, hmacKey); // WAHA always signs when given a key: unsigned is never accepted
  }

  parseWebhook(raw: RawWebhook): ParsedWebhook {
    return parseWahaWebhook(raw);
  }

  proxyRules(s: EngineSession): ProxyRules {
    return wahaProxyRules(this.base(s), this.cfg.apiKey, s.session);
  }
}

/** The serialized id WAHA wants in reply_to: the stored one, else built from the key id. */
function replyId(chatJid: string, chatId: string, rt: ReplyRef): string {
  const participant = isGroup(chatJid) && !rt.fromMe && rt.senderJid ? toWaha(rt.senderJid) : null;
  return rt.engineFullId ?? buildSerializedId(rt.fromMe, chatId, rt.id, participant);
}

/** The answer differs by engine and version: a WAMessage, a raw {key:{id}}, or nothing. */
function sendResultOf(data: unknown): SendResult {
  const d = obj(data);
  const full = serializedOf(d.id);
  const id = keyIdOf(d.id) ?? str(obj(d.key).id) ?? str(obj(obj(d._data).key).id);
  return { id, engineFullId: full && full !== id ? full : null, timestamp: dateOf(d.timestamp) ?? dateOf(d.messageTimestamp) ?? new Date() };
}
