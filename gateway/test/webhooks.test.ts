import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineEnv, eventually, control, replay, type EngineEnv, type Delivery } from './support/engine-env.js';
import { pairedDevice, shuffled } from './support/paired-device.js';

let env: EngineEnv;
beforeAll(async () => {
  env = await startEngineEnv();
});
afterAll(() => env.close());

const count = async (table: string, where: Record<string, unknown>) => Number((await env.t.db(table).where(where).count<{ c: number }[]>('* as c'))[0]!.c);

const connectedDevice = (engine: 'waha' | 'wuzapi') => pairedDevice(env, engine, engine === 'waha' ? '4930111111' : '4930222222', `Hooks ${engine}`);

async function replayAll(deliveries: Delivery[]) {
  const statuses: number[] = [];
  const all = shuffled(deliveries.flatMap((d) => [d, d, d]));
  for (let i = 0; i < all.length; i += 6) {
    const res = await Promise.all(all.slice(i, i + 6).map((d) => replay(env.t.url, d)));
    statuses.push(...res.map((r) => r.status));
  }
  return statuses;
}

function signedWaha(deviceId: string, secret: string, event: string, payload: object): Delivery {
  const body = Buffer.from(
    JSON.stringify({ id: `evt_${randomUUID().replace(/-/g, '').slice(0, 26)}`, timestamp: Date.now(), event, session: 'x', metadata: {}, me: null, payload, engine: 'NOWEB', environment: {} }),
  );
  return {
    path: `/webhooks/waha/${deviceId}`,
    headers: { 'content-type': 'application/json', 'x-webhook-hmac': createHmac('sha512', secret).update(body).digest('hex'), 'x-webhook-hmac-algorithm': 'sha512' },
    body,
  };
}

describe('webhooks stored exactly once', () => {
  it('when every kind of WAHA webhook is delivered three times in shuffled order, then each thing is stored once and acks end at the highest', async () => {
    const d = await connectedDevice('waha');
    env.relay.forward = false;
    env.relay.deliveries = [];
    const c = control(env.sim);
    await c.post(`/sessions/${d.engineSession}/inbound`, { body: { from: '4915550000001', body: 'plain hello', pushName: 'Ann' } });
    await c.post(`/sessions/${d.engineSession}/inbound`, { body: { from: '4915550000002', body: 'via lid', pushName: 'Bo', lid: true } });
    await c.post(`/sessions/${d.engineSession}/inbound`, { body: { from: '4915550000003', body: 'in a group', pushName: 'Cy', group: true, groupName: 'Team' } });
    await c.post(`/sessions/${d.engineSession}/inbound`, { body: { from: '4915550000001', body: 'a picture', media: { mimetype: 'image/png', filename: 'p.png', data: Buffer.from('png-bytes').toString('base64') } } });
    // Our own send through the engine API: WAHA echoes it (message.any, source api); then it is read.
    const sent = await fetch(`${env.sim.wahaUrl}/api/sendText`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': env.sim.apiKey },
      body: JSON.stringify({ session: d.engineSession, chatId: '4915550000001@c.us', text: 'our reply' }),
    }).then((r) => r.json() as Promise<{ id: string | { _serialized: string } }>);
    const sentId = typeof sent.id === 'string' ? sent.id : sent.id._serialized;
    await c.post(`/sessions/${d.engineSession}/ack`, { body: { messageId: sentId, ack: 'DEVICE' } });
    await c.post(`/sessions/${d.engineSession}/ack`, { body: { messageId: sentId, ack: 'READ' } });
    await env.sim.webhooksIdle(5_000);
    const shortId = sentId.split('_')[2]!;
    const recorded = [...env.relay.deliveries];
    // Reactions, edits and revokes, signed as WAHA signs them.
    const inbound = recorded.find((x) => x.body.toString().includes('plain hello'))!;
    const plainId = JSON.parse(inbound.body.toString()).payload.id as string;
    recorded.push(
      signedWaha(d.id, d.secret, 'message.reaction', { id: 'false_4915550000001@c.us_REACT1', timestamp: 1, from: '4915550000001@c.us', fromMe: false, reaction: { text: '👍', messageId: plainId } }),
      signedWaha(d.id, d.secret, 'message.edited', { id: 'false_4915550000001@c.us_EDIT1', timestamp: 2, from: '4915550000001@c.us', fromMe: false, body: 'plain hello (edited)', editedMessageId: plainId }),
      signedWaha(d.id, d.secret, 'message.revoked', { id: 'x', timestamp: 3, from: '4915550000001@c.us', fromMe: false, revokedMessageId: shortId, after: { id: shortId } }),
    );
    env.relay.forward = true;

    const messagesBefore = await count('messages', { device_id: d.id });
    const statuses = await replayAll(recorded);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);

    expect(await count('messages', { device_id: d.id })).toBe(messagesBefore + 5);
    for (const body of ['plain hello (edited)', 'in a group', 'a picture']) expect(await count('messages', { device_id: d.id, body })).toBe(1);
    const lidMsg = await env.t.db('messages').where({ device_id: d.id, body: 'via lid' });
    expect(lidMsg).toHaveLength(1);
    // The LID sender is filed under the person's phone chat.
    const lidChat = await env.t.db('chats').where({ id: lidMsg[0].chat_id }).first();
    expect(lidChat.jid).toBe('4915550000002@s.whatsapp.net');
    const ours = await env.t.db('messages').where({ device_id: d.id, engine_message_id: shortId }).first();
    expect(ours).toMatchObject({ direction: 'out', ack: 3, status: 'read', source: 'api' });
    expect(ours.revoked_at).not.toBeNull();
    expect(await count('message_reactions', { device_id: d.id })).toBe(1);
    const group = await env.t.db('chats').where({ device_id: d.id, is_group: true });
    expect(group).toHaveLength(1);
    const annChat = await env.t.db('chats').where({ device_id: d.id, jid: '4915550000001@s.whatsapp.net' }).first();
    expect(annChat.unread_count).toBe(0); // our reply came after Ann's messages
    const created = await env.t.db('events').where({ device_id: d.id, type: 'message.created' }).whereRaw(`data->>'body' = 'in a group'`);
    expect(created).toHaveLength(1);
  }, 60_000);

  it('when WuzAPI deliveries (form and JSON formats) are repeated three times shuffled, then one row each, and an early receipt waits for its message', async () => {
    const d = await connectedDevice('wuzapi');
    env.relay.forward = false;
    env.relay.deliveries = [];
    const c = control(env.sim);
    await c.post(`/sessions/${d.engineSession}/inbound`, { body: { from: '4915660000001', body: 'form format', pushName: 'Di' } });
    await c.post('/settings', { body: { wuzapiWebhookFormat: 'json' } });
    const j = await c.post(`/sessions/${d.engineSession}/inbound`, { body: { from: '4915660000002', body: 'json format', pushName: 'Ed' } });
    await c.post('/settings', { body: { wuzapiWebhookFormat: 'form' } });
    // Our own message sent through WuzAPI (no echo) is read later: the receipt may arrive before we store the message.
    const sent = await fetch(`${env.sim.wuzapiUrl}/chat/send/text`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', token: String((await env.t.db('devices').where({ id: d.id }).first()).engine_token) },
      body: JSON.stringify({ Phone: '4915660000001', Body: 'sent from elsewhere' }),
    }).then((r) => r.json() as Promise<{ data: { Id: string } }>);
    await c.post(`/sessions/${d.engineSession}/ack`, { body: { messageId: sent.data.Id, ack: 'READ' } });
    await env.sim.webhooksIdle(5_000);
    env.relay.forward = true;
    const recorded = [...env.relay.deliveries];
    expect(recorded.some((x) => String(x.headers['content-type']).includes('x-www-form-urlencoded'))).toBe(true);
    expect(recorded.some((x) => String(x.headers['content-type']).includes('json'))).toBe(true);

    const statuses = await replayAll(recorded);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(await count('messages', { device_id: d.id, body: 'form format' })).toBe(1);
    expect(await count('messages', { device_id: d.id, body: 'json format' })).toBe(1);
    expect(j.status).toBe(200);
    const pending = await env.t.db('message_updates_pending').where({ device_id: d.id, engine_message_id: sent.data.Id }).first();
    expect(pending.ack).toBe(3);
  }, 60_000);
});

describe('webhook authentication', () => {
  let d: { id: string; engineSession: string; secret: string };
  let good: Delivery;
  beforeAll(async () => {
    d = await connectedDevice('waha');
    env.relay.forward = false;
    env.relay.deliveries = [];
    await control(env.sim).post(`/sessions/${d.engineSession}/inbound`, { body: { from: '4915770000001', body: 'auth probe' } });
    await env.sim.webhooksIdle(5_000);
    env.relay.forward = true;
    good = env.relay.deliveries.find((x) => x.body.toString().includes('auth probe'))!;
  });
  const stored = () => count('messages', { device_id: d.id, body: 'auth probe' });

  const cases: [string, (x: Delivery) => Delivery, number][] = [
    ['one byte of the body changed', (x) => ({ ...x, body: Buffer.from(x.body.toString().replace('auth probe', 'auth prObe')) }), 401],
    ['the signature missing', (x) => ({ ...x, headers: { ...x.headers, 'x-webhook-hmac': undefined } }), 401],
    ['another algorithm (sha256) declared and used', (x) => ({ ...x, headers: { ...x.headers, 'x-webhook-hmac-algorithm': 'sha256', 'x-webhook-hmac': createHmac('sha256', d.secret).update(x.body).digest('hex') } }), 401],
    ['signed with another key', (x) => ({ ...x, headers: { ...x.headers, 'x-webhook-hmac': createHmac('sha512', 'not-the-key').update(x.body).digest('hex') } }), 401],
    ['sent to an unknown device', (x) => ({ ...x, path: `/webhooks/waha/${randomUUID()}` }), 404],
    ['sent to a path that is not a device id', (x) => ({ ...x, path: '/webhooks/waha/not-a-device' }), 404],
    ['sent to the other engine’s path', (x) => ({ ...x, path: x.path.replace('/waha/', '/wuzapi/') }), 404],
  ];
  for (const [name, mutate, status] of cases) {
    it(`when a delivery has ${name}, then ${status} and nothing is stored`, async () => {
      const r = await replay(env.t.url, mutate(good));
      expect(r.status).toBe(status);
      expect(await stored()).toBe(0);
    });
  }

  it('when a signed payload is malformed, then 2xx (engines retry anything else forever), nothing is stored, and the rejection is counted', async () => {
    const metric = async () => Number(/webhook_events_rejected_total\{engine="waha",reason="unreadable"\} (\d+)/.exec(await (await fetch(`${env.t.url}/metrics`)).text())?.[1] ?? 0);
    const before = await metric();
    const body = Buffer.from('{"id":"evt_x","event":"message","payload":');
    const r = await replay(env.t.url, { ...good, body, headers: { ...good.headers, 'x-webhook-hmac': createHmac('sha512', d.secret).update(body).digest('hex') } });
    expect(r.status).toBe(200);
    expect(await stored()).toBe(0);
    expect(await metric()).toBe(before + 1);
  });

  it('when the genuine delivery arrives, then it is stored (control)', async () => {
    expect((await replay(env.t.url, good)).status).toBe(200);
    expect(await stored()).toBe(1);
  });
});
