// A WuzAPI user's connection: connect → QR (rotating, posted as QR events) → scan → PairSuccess +
// Connected (+ HistorySync when history is on); disconnect; logout; the phone unlinking.
import type { SimContext } from '../context.js';
import { SimError } from '../context.js';
import { chatsByRecency, isGroupKey } from '../state/account.js';
import { type WuzUser, clearAll, later } from '../state/store.js';
import { lidForPhone, qrText, randomPhone } from '../util/ids.js';
import { qrDataUrl } from '../util/qr.js';
import { fail } from './http.js';
import { emitWuz } from './webhook-sender.js';
import { wuzChatJid, userJid } from './format.js';

/** How long after connect the first QR exists (GET /session/qr answers "" until then). */
const FIRST_QR_MS = 50;
/** Messages per HistorySync event. */
const HISTORY_CHUNK = 1000;

export function connectUser(ctx: SimContext, u: WuzUser, subscribe: string[] | null): void {
  if (u.connected) throw fail(500, 'already connected');
  if (subscribe && subscribe.length) u.events = subscribe;
  u.connected = true;
  if (u.account.phone) {
    u.loggedIn = true;
    emitWuz(ctx, u, 'Connected');
    emitHistorySync(ctx, u);
    return;
  }
  later(u.timers, FIRST_QR_MS, () => void showQr(ctx, u));
}

async function showQr(ctx: SimContext, u: WuzUser): Promise<void> {
  if (!u.connected || u.loggedIn) return;
  const text = qrText();
  const url = await qrDataUrl(text);
  if (!u.connected || u.loggedIn) return;
  u.qr = text;
  u.qrDataUrl = url;
  emitWuz(ctx, u, 'QR', { event: 'code', qrCodeBase64: url });
  later(u.timers, ctx.opts.qrRotateMs, () => void showQr(ctx, u));
}

function dropConnection(u: WuzUser): void {
  clearAll(u.timers);
  u.connected = false;
  u.loggedIn = false;
  u.qr = null;
  u.qrDataUrl = '';
}

export function disconnectUser(ctx: SimContext, u: WuzUser): void {
  if (!u.connected) throw fail(500, 'no session');
  dropConnection(u);
  emitWuz(ctx, u, 'Disconnected', { event: {} });
}

/** API logout: only when connected and logged in, as WuzAPI insists. */
export function logoutUser(u: WuzUser): void {
  if (!u.connected) throw fail(500, 'no session');
  if (!u.loggedIn) throw fail(500, 'could not logout as it was not logged in');
  u.account.phone = null;
  u.pairingPhone = null;
  dropConnection(u);
}

/** The phone unlinks this device: LoggedOut is posted and the client goes away. */
export function phoneLogoutUser(ctx: SimContext, u: WuzUser): void {
  const wasLoggedIn = u.loggedIn;
  u.account.phone = null;
  u.pairingPhone = null;
  dropConnection(u);
  if (wasLoggedIn) emitWuz(ctx, u, 'LoggedOut', { event: { OnConnect: false, Reason: 'LOGGED_OUT' } });
}

export function scanUser(ctx: SimContext, u: WuzUser, phone?: string): void {
  if (!u.connected) throw new SimError(409, `user ${u.name} is not connected (POST /session/connect first)`);
  if (u.loggedIn) throw new SimError(409, `user ${u.name} is already logged in`);
  clearAll(u.timers);
  u.qr = null;
  u.qrDataUrl = '';
  const digits = phone ?? u.pairingPhone ?? randomPhone();
  u.account.phone = digits;
  u.loggedIn = true;
  emitWuz(ctx, u, 'PairSuccess', {
    event: { ID: `${digits}:12@s.whatsapp.net`, LID: `${lidForPhone(digits)}:12@lid`, BusinessName: '', Platform: 'android' },
  });
  emitWuz(ctx, u, 'Connected', { event: {} });
  emitHistorySync(ctx, u);
}

/** After login with history enabled, the phone's history arrives as HistorySync events (chunked). */
export function emitHistorySync(ctx: SimContext, u: WuzUser): void {
  if (u.history <= 0) return;
  const chats = chatsByRecency(u.account).filter((c) => c.messages.length > 0);
  if (chats.length === 0) return;
  let chunk: Record<string, unknown>[] = [];
  let size = 0;
  let order = 0;
  const total = chats.reduce((n, c) => n + c.messages.length, 0);
  let sent = 0;
  const flush = () => {
    if (!chunk.length) return;
    order++;
    emitWuz(ctx, u, 'HistorySync', {
      event: { Data: { syncType: order === 1 ? 'INITIAL_BOOTSTRAP' : 'RECENT', chunkOrder: order, progress: Math.round((sent / total) * 100), conversations: chunk } },
    });
    chunk = [];
    size = 0;
  };
  for (const c of chats) {
    for (let i = 0; i < c.messages.length; i += HISTORY_CHUNK) {
      const part = c.messages.slice(i, i + HISTORY_CHUNK);
      if (size + part.length > HISTORY_CHUNK) flush();
      sent += part.length;
      size += part.length;
      chunk.push({
        ID: wuzChatJid(c.key),
        name: c.name ?? undefined,
        messages: part.map((m) => ({
          message: {
            key: { remoteJID: wuzChatJid(c.key), fromMe: m.fromMe, ID: m.id, ...(isGroupKey(c.key) && m.sender ? { participant: userJid(m.sender) } : {}) },
            message: m.media ? { documentMessage: { caption: m.body, mimetype: m.media.mimetype } } : { conversation: m.body },
            messageTimestamp: m.timestamp,
            pushName: m.pushName ?? undefined,
          },
        })),
      });
    }
  }
  flush();
}
