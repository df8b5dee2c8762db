// WuzAPI webhooks (asternic/wuzapi helpers.go callHookWithHmac and wmiau.go sendEventWithWebHook, at
// upstream commit 30c1805720c630b4ecfc842dd3ff63966c3ba315): form-encoded by Go's url.Values.Encode
// (keys sorted; `*` → %2A, space → +, `~` kept) with fields instanceName, jsonData (json.Marshal of
// the event), userID — or, with WEBHOOK_FORMAT=json, the event's own object plus userID and
// instanceName. x-hmac-signature is the lower-case hex HMAC-SHA256 of exactly those bytes, sent only
// when the user has an HMAC key.
import { createHmac } from 'node:crypto';
import type { SimContext } from '../context.js';
import type { WuzUser } from '../state/store.js';
import { goJson } from './history-table.js';

/** constants.go supportedEventTypes: what AddUser accepts (others: 400) and connect keeps (others dropped). */
export const WUZ_EVENT_TYPES = [
  'Message', 'UndecryptableMessage', 'Receipt', 'MediaRetry', 'ReadReceipt',
  'GroupInfo', 'JoinedGroup', 'Picture', 'BlocklistChange', 'Blocklist',
  'Connected', 'Disconnected', 'ConnectFailure', 'KeepAliveRestored', 'KeepAliveTimeout', 'QRTimeout', 'LoggedOut',
  'ClientOutdated', 'TemporaryBan', 'StreamError', 'StreamReplaced', 'PairSuccess', 'PairError', 'QR', 'QRScannedWithoutMultidevice',
  'PrivacySettings', 'PushNameSetting', 'UserAbout',
  'AppState', 'AppStateSyncComplete', 'HistorySync', 'OfflineSyncCompleted', 'OfflineSyncPreview',
  'CallOffer', 'CallAccept', 'CallTerminate', 'CallOfferNotice', 'CallRelayLatency',
  'Presence', 'ChatPresence', 'IdentityChange', 'CATRefreshError',
  'NewsletterJoin', 'NewsletterLeave', 'NewsletterMuteChange', 'NewsletterLiveUpdate', 'FBMessage',
  'All',
];

export const subscribed = (u: WuzUser, type: string) => u.events.includes('All') || u.events.includes(type);

/** Go's url.QueryEscape: only A–Z a–z 0–9 - _ . ~ stay as they are; space is +. */
export function goQueryEscape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
}

/** Go's url.Values.Encode: keys sorted, each pair query-escaped. */
export function goFormEncode(fields: Record<string, string>): string {
  return Object.keys(fields).sort().map((k) => `${goQueryEscape(k)}=${goQueryEscape(fields[k]!)}`).join('&');
}

export function wuzBody(ctx: SimContext, u: WuzUser, postmap: Record<string, unknown>): { body: string; contentType: string } {
  if (ctx.settings.wuzapiWebhookFormat === 'json') {
    // json.Marshal of a map: keys sorted.
    const flat: Record<string, unknown> = { ...postmap, userID: u.id, instanceName: u.name };
    const sorted = Object.fromEntries(Object.keys(flat).sort().map((k) => [k, flat[k]]));
    return { body: goJson(sorted), contentType: 'application/json' };
  }
  const sorted = Object.fromEntries(Object.keys(postmap).sort().map((k) => [k, postmap[k]]));
  return { body: goFormEncode({ jsonData: goJson(sorted), userID: u.id, instanceName: u.name }), contentType: 'application/x-www-form-urlencoded' };
}

export function emitWuz(ctx: SimContext, u: WuzUser, type: string, fields: Record<string, unknown> = {}): void {
  if (!u.webhook || !subscribed(u, type)) return;
  const postmap = { type, ...fields };
  const { body, contentType } = wuzBody(ctx, u, postmap);
  const signature = u.hmacKey ? createHmac('sha256', u.hmacKey).update(body).digest('hex') : null;
  ctx.deliverer.send({
    url: u.webhook,
    body,
    label: { engine: 'wuzapi', session: u.name, event: type },
    headers: () => ({ 'Content-Type': contentType, ...(signature ? { 'x-hmac-signature': signature } : {}) }),
  });
}
