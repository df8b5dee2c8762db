// Signed webhook deliveries as the real engines send them, for tests that speak to the gateway over HTTP.
import { createHmac, randomUUID } from 'node:crypto';
import type { Delivery } from '../support/engine-env.js';

/** A WAHA envelope (X-Webhook-Hmac: hex HMAC-SHA512 of the exact body), as WAHA's webhook sender builds it. */
export function wahaDelivery(deviceId: string, secret: string, event: string, payload: object, me: object | null = { id: '4930111111@c.us', pushName: 'Me' }, rawBody?: string): Delivery {
  const body = Buffer.from(
    rawBody ??
      JSON.stringify({ id: `evt_${randomUUID().replace(/-/g, '').slice(0, 26)}`, timestamp: Date.now(), event, session: 'x', metadata: {}, me, payload, engine: 'NOWEB', environment: {} }),
  );
  return {
    path: `/webhooks/waha/${deviceId}`,
    headers: { 'content-type': 'application/json', 'x-webhook-hmac': createHmac('sha512', secret).update(body).digest('hex'), 'x-webhook-hmac-algorithm': 'sha512' },
    body,
  };
}

/** A WuzAPI post in its JSON wire format ({type, event, ...extras}); x-hmac-signature: hex HMAC-SHA256 of the body. */
export function wuzDelivery(deviceId: string, secret: string, type: string, event: object, extras: object = {}, rawBody?: string): Delivery {
  const body = Buffer.from(rawBody ?? JSON.stringify({ type, event, ...extras, userID: '1', instanceName: 'x' }));
  return {
    path: `/webhooks/wuzapi/${deviceId}`,
    headers: { 'content-type': 'application/json', 'x-hmac-signature': createHmac('sha256', secret).update(body).digest('hex') },
    body,
  };
}

/** A WAHA WAMessage payload (message / message.any), NOWEB shape: serialized id, _data with key and proto message. */
export function wahaMsg(o: { id: string; from: string; body?: string | null; fromMe?: boolean; timestamp?: number; participant?: string; message?: object; replyTo?: unknown; extra?: object }) {
  const chat = o.from;
  return {
    id: `${o.fromMe ? 'true' : 'false'}_${chat}_${o.id}${o.participant ? `_${o.participant}` : ''}`,
    timestamp: o.timestamp ?? Math.floor(Date.now() / 1000),
    from: o.fromMe ? '4930111111@c.us' : chat,
    to: o.fromMe ? chat : '4930111111@c.us',
    fromMe: !!o.fromMe,
    source: 'app',
    participant: o.participant ?? null,
    body: o.body ?? null,
    hasMedia: false,
    media: null,
    ack: 1,
    ackName: 'SERVER',
    replyTo: o.replyTo ?? null,
    _data: {
      key: { remoteJid: chat.replace('@c.us', '@s.whatsapp.net'), fromMe: !!o.fromMe, id: o.id, participant: o.participant ?? undefined },
      messageTimestamp: o.timestamp ?? Math.floor(Date.now() / 1000),
      pushName: 'Ann',
      message: o.message ?? (o.body ? { conversation: o.body } : {}),
    },
    ...o.extra,
  };
}

/** A WuzAPI Message event (whatsmeow events.Message as JSON). */
export function wuzMsg(o: { id: string; chat: string; sender?: string; fromMe?: boolean; timestamp?: string; message: object; info?: object }) {
  return {
    Info: {
      Chat: o.chat,
      Sender: o.sender ?? o.chat,
      IsFromMe: !!o.fromMe,
      IsGroup: o.chat.endsWith('@g.us'),
      ID: o.id,
      Type: 'text',
      PushName: 'Bea',
      Timestamp: o.timestamp ?? new Date().toISOString(),
      ...o.info,
    },
    Message: o.message,
  };
}
