// WuzAPI webhooks: form-encoded (jsonData, userID, instanceName) or flat JSON; x-hmac-signature is
// the lower-case hex HMAC-SHA256 of the raw body, only when the user has an HMAC key.
import { createHmac } from 'node:crypto';
import type { SimContext } from '../context.js';
import type { WuzUser } from '../state/store.js';

export const WUZ_EVENT_TYPES = ['Message', 'ReadReceipt', 'Presence', 'HistorySync', 'ChatPresence', 'QR', 'PairSuccess', 'Connected', 'LoggedOut', 'Disconnected'];

export const subscribed = (u: WuzUser, type: string) => u.events.includes('All') || u.events.includes(type);

export function wuzBody(ctx: SimContext, u: WuzUser, postmap: Record<string, unknown>): { body: string; contentType: string } {
  if (ctx.settings.wuzapiWebhookFormat === 'json') {
    return { body: JSON.stringify({ ...postmap, userID: u.id, instanceName: u.name }), contentType: 'application/json' };
  }
  const form = new URLSearchParams({ jsonData: JSON.stringify(postmap), userID: u.id, instanceName: u.name });
  return { body: form.toString(), contentType: 'application/x-www-form-urlencoded' };
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
