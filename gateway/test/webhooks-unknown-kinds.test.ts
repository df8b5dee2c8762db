// Event kinds the gateway does not read, in correctly signed deliveries: answered 2xx (engines retry
// anything else), counted in webhook_unknown_events_total, and nothing stored.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineEnv, type EngineEnv } from './support/engine-env.js';

let env: EngineEnv;
beforeAll(async () => {
  env = await startEngineEnv();
});
afterAll(async () => {
  await env?.close();
});

const device = async (engine: 'waha' | 'wuzapi') => {
  const d = (await env.http.post('/api/devices', { token: env.owner.token, body: { name: `Unknown kinds ${engine}`, engine } })).body;
  const secret = (await env.t.db('devices').where({ id: d.id }).first()).webhook_secret as string;
  return { id: d.id as string, secret };
};
const metric = async (engine: string, event: string) =>
  Number(new RegExp(`webhook_unknown_events_total\\{engine="${engine}",event="${event.replace(/\./g, '\\.')}"\\} (\\d+)`).exec(await (await fetch(`${env.t.url}/metrics`)).text())?.[1] ?? 0);
const stored = async (deviceId: string) => Number((await env.t.db('messages').where({ device_id: deviceId }).count<{ c: number }[]>('* as c'))[0]!.c);

describe('unknown webhook event kinds', () => {
  it('when WuzAPI posts a signed event of a kind the gateway does not read, then 200, counted once per delivery, nothing stored', async () => {
    const d = await device('wuzapi');
    const jsonData = JSON.stringify({ type: 'SomethingNewFromWhatsmeow', event: { Info: { ID: 'X1', Chat: '15550001111@s.whatsapp.net' } } });
    const body = `instanceName=x&jsonData=${encodeURIComponent(jsonData)}&userID=abc`;
    const post = () =>
      fetch(`${env.t.url}/webhooks/wuzapi/${d.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-hmac-signature': createHmac('sha256', d.secret).update(body).digest('hex') },
        body,
      });
    expect((await post()).status).toBe(200);
    expect((await post()).status).toBe(200);
    expect(await metric('wuzapi', 'SomethingNewFromWhatsmeow')).toBe(2);
    expect(await stored(d.id)).toBe(0);
    expect(await env.t.db('events').where({ device_id: d.id }).whereRaw(`data::text LIKE '%SomethingNew%'`)).toEqual([]);
  });

  it('when WAHA posts a signed event of a kind the gateway does not read, then 200 and counted; a known kind without effect is not', async () => {
    const d = await device('waha');
    const send = async (event: string) => {
      const body = Buffer.from(JSON.stringify({ id: `evt_${event}`, timestamp: Date.now(), event, session: 'x', payload: { id: 'false_1@c.us_X', timestamp: 1 } }));
      return fetch(`${env.t.url}/webhooks/waha/${d.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-webhook-hmac': createHmac('sha512', d.secret).update(body).digest('hex'), 'x-webhook-hmac-algorithm': 'sha512' },
        body: new Uint8Array(body),
      });
    };
    expect((await send('label.brand_new')).status).toBe(200);
    expect((await send('presence.update')).status).toBe(200);
    expect(await metric('waha', 'label.brand_new')).toBe(1);
    expect(await metric('waha', 'presence.update')).toBe(0);
    expect(await stored(d.id)).toBe(0);
  });
});
