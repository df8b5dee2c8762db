// WAHA webhook envelopes: evt_<ulid> ids, ms timestamps, HMAC-SHA512 over the exact raw body.
import { createHmac } from 'node:crypto';
import type { SimContext } from '../context.js';
import type { WahaSession } from '../state/store.js';
import { ulid } from '../util/ids.js';
import { meInfo } from './format.js';

export const WAHA_VERSION = '2026.7.1';

const environment = () => ({
  version: WAHA_VERSION,
  engine: 'NOWEB',
  tier: 'CORE',
  browser: null,
  platform: `${process.platform}/${process.arch}`,
  worker: { id: null },
});

export function wahaEnvelope(s: WahaSession, event: string, payload: unknown): Record<string, unknown> {
  return {
    id: `evt_${ulid()}`,
    timestamp: Date.now(),
    event,
    session: s.name,
    metadata: s.config.metadata ?? {},
    me: meInfo(s),
    payload,
    engine: 'NOWEB',
    environment: environment(),
  };
}

/** Posts the event to every configured webhook that subscribed to it ('*' = all). One envelope id per event. */
export function emitWaha(ctx: SimContext, s: WahaSession, event: string, payload: unknown): Record<string, unknown> {
  const envelope = wahaEnvelope(s, event, payload);
  const body = JSON.stringify(envelope);
  for (const hook of s.config.webhooks) {
    if (!hook.url || !(hook.events.includes(event) || hook.events.includes('*'))) continue;
    const key = hook.hmac?.key ?? null;
    const signature = key ? createHmac('sha512', key).update(body).digest('hex') : null;
    ctx.deliverer.send({
      url: hook.url,
      body,
      label: { engine: 'waha', session: s.name, event },
      headers: () => {
        const h: Record<string, string> = {};
        for (const c of hook.customHeaders ?? []) if (c?.name) h[c.name] = String(c.value ?? '');
        h['Content-Type'] = 'application/json';
        h['X-Webhook-Request-Id'] = ulid();
        h['X-Webhook-Timestamp'] = String(Date.now());
        if (signature) {
          h['X-Webhook-Hmac'] = signature;
          h['X-Webhook-Hmac-Algorithm'] = 'sha512';
        }
        return h;
      },
    });
  }
  return envelope;
}
