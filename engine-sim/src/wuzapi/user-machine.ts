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
import { goJson, historyTextOf, historyTypeOf, saveRow } from './history-table.js';
import type { SimMessage } from '../state/account.js';
import { rfc3339WithOffset } from '../util/time.js';

/** How long after connect the first QR exists (GET /session/qr answers "" until then). */
const FIRST_QR_MS = 50;
/** Messages per HistorySync event. */
const HISTORY_CHUNK = 1000;

/** handlers.go Connect: the kept names replace the user's events (none asked: none kept). */
export function connectUser(ctx: SimContext, u: WuzUser, subscribe: string[]): void {
  if (u.connected) throw fail(500, 'already connected');
  u.events = subscribe;
  u.connected = true;
  if (u.account.phone) {
    u.loggedIn = true;
    emitWuz(ctx, u, 'Connected', { event: {} }); // a reconnect brings no history: that came with the pairing
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

/**
 * After login the phone's history arrives as HistorySync events (wmiau.go myEventHandler, case
 * *events.HistorySync): `event.Data` is whatsmeow's waHistorySync.HistorySync marshalled by
 * encoding/json — proto field names (`conversations`, `ID`, `name`, `messages[].message.key.remoteJID`,
 * `…key.ID`, `messageTimestamp`), enums as numbers (syncType 2 = FULL), `progress` in percent. Every
 * message is also saved to message_history (never trimmed there), whatever the user's `history`.
 */
export function emitHistorySync(ctx: SimContext, u: WuzUser, only?: Set<string>): void {
  const chats = chatsByRecency(u.account).filter((c) => c.messages.length > 0 && (!only || only.has(c.key)));
  if (chats.length === 0) return;
  const owner = u.account.phone ? userJid(u.account.phone) : '';
  let chunk: Record<string, unknown>[] = [];
  let size = 0;
  let order = 0;
  const total = chats.reduce((n, c) => n + c.messages.length, 0);
  let sent = 0;
  const flush = () => {
    if (!chunk.length) return;
    order++;
    emitWuz(ctx, u, 'HistorySync', {
      event: { Data: { syncType: 2, conversations: chunk, chunkOrder: order, progress: Math.round((sent / total) * 100) } },
    });
    chunk = [];
    size = 0;
  };
  for (const c of chats) {
    const chatJid = wuzChatJid(c.key);
    for (let i = 0; i < c.messages.length; i += HISTORY_CHUNK) {
      const part = c.messages.slice(i, i + HISTORY_CHUNK);
      if (size + part.length > HISTORY_CHUNK) flush();
      sent += part.length;
      size += part.length;
      const items = part.map((m) => {
        const participant = isGroupKey(c.key) && !m.fromMe && m.sender ? userJid(m.sender) : null;
        const key = { remoteJID: chatJid, fromMe: m.fromMe, ID: m.id, ...(participant ? { participant } : {}) };
        const message = m.media
          ? { [historyTypeOf(m) === 'image' ? 'imageMessage' : historyTypeOf(m) === 'audio' ? 'audioMessage' : historyTypeOf(m) === 'video' ? 'videoMessage' : 'documentMessage']: { caption: m.body || undefined, mimetype: m.media.mimetype, ...(m.media.filename ? { fileName: m.media.filename } : {}) } }
          : m.replyTo ? { extendedTextMessage: { text: m.body, contextInfo: { stanzaID: m.replyTo } } } : { conversation: m.body };
        const web = { key, message, messageTimestamp: m.timestamp, ...(m.pushName && !m.fromMe ? { pushName: m.pushName } : {}) };
        saveHistorySyncRow(ctx, u, owner, chatJid, m, web);
        return { message: web };
      });
      chunk.push({ ID: chatJid, messages: items, ...(c.name ? { name: c.name } : {}) });
    }
  }
  flush();
}

/** wmiau.go HistorySync: the row saved per message, data_json shaped like an events.Message. */
function saveHistorySyncRow(ctx: SimContext, u: WuzUser, owner: string, chatJid: string, m: SimMessage, web: Record<string, unknown>): void {
  const sender = m.fromMe ? owner : isGroupKey(m.chat) ? (m.sender ? userJid(m.sender) : '') : chatJid;
  if (!sender && !m.fromMe) return; // "Cannot determine sender JID, skipping message"
  const info = {
    Chat: chatJid, Sender: m.fromMe ? owner : sender, IsFromMe: m.fromMe, IsGroup: isGroupKey(m.chat), AddressingMode: '', SenderAlt: '', RecipientAlt: '',
    BroadcastListOwner: '', BroadcastRecipients: null, ID: m.id, ServerID: 0, Type: historyTypeOf(m), PushName: m.fromMe ? '' : (m.pushName ?? ''),
    Timestamp: rfc3339WithOffset(m.timestamp), Category: '', Multicast: false, MediaType: '', Edit: '', MsgBotInfo: {}, MsgMetaInfo: {}, VerifiedName: null, DeviceSentMeta: null,
  };
  const dataJson = goJson({
    Info: info, Message: web.message, IsEphemeral: false, IsViewOnce: false, IsViewOnceV2: false, IsViewOnceV2Extension: false, IsDocumentWithCaption: false,
    IsLottieSticker: false, IsBotInvoke: false, IsEdit: false, SourceWebMsg: null, UnavailableRequestID: '', RetryCount: 0, NewsletterMeta: null, RawMessage: web,
  });
  saveRow(ctx, u, {
    chat_jid: chatJid, sender_jid: sender || 'me', message_id: m.id, message_type: historyTypeOf(m), text_content: historyTextOf(m), media_link: '',
    quoted_message_id: m.replyTo ?? '', data_json: dataJson,
  });
}
