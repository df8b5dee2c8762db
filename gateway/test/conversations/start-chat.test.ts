import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { control, type EngineEnv } from '../support/engine-env.js';
import { makeUser } from '../support/factories.js';
import { login } from '../contacts/factories.js';
import { connectedDevice, startOutboxEnv, type Device } from '../outbox/outbox-env.js';

/** POST /api/chats {deviceId, phone}: starting a chat by number, checked with the engine's "is on WhatsApp". */
let env: EngineEnv;
let waha: Device;
let wuz: Device;
beforeAll(async () => {
  env = await startOutboxEnv();
  [waha, wuz] = await Promise.all([connectedDevice(env, 'waha'), connectedDevice(env, 'wuzapi')]);
});
afterAll(() => env.close());

const start = (body: Record<string, unknown>, token = env.owner.token) => env.http.post('/api/chats', { token, body });

describe('starting a chat by number', () => {
  it.each([
    ['waha', () => waha],
    ['wuzapi', () => wuz],
  ])('when a number on WhatsApp is typed in a national format on %s, then 201 with the new chat, and 200 with the same chat the second time', async (_e, pick) => {
    const d = pick();
    const first = await start({ deviceId: d.id, phone: '+49 (0)151 2345 6789'.replace('(0)', '') });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({ deviceId: d.id, jid: '4915123456789@s.whatsapp.net', lastMessageAt: null, access: 'owner', unreadCount: 0 });
    const again = await start({ deviceId: d.id, phone: '0049 151 23456789' });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(await env.t.db('chats').where({ device_id: d.id, jid: '4915123456789@s.whatsapp.net' })).toHaveLength(1);
    // Empty, it is not in the chat list yet (as in WhatsApp), though it opens by its id.
    const listed = async () => ((await env.http.get(`/api/chats?deviceId=${d.id}&limit=200`, { token: env.owner.token })).body.items as { id: number }[]).some((c) => c.id === first.body.id);
    expect(await listed()).toBe(false);
    expect((await env.http.get(`/api/chats/${first.body.id}`, { token: env.owner.token })).status).toBe(200);
    // The creator opens it and writes; the message goes out to that number, and the chat is listed.
    const sent = await env.http.post(`/api/chats/${first.body.id}/messages`, { token: env.owner.token, body: { clientId: `c-${d.id}`, text: 'hello new' } });
    expect(sent.status).toBe(202);
    expect(await listed()).toBe(true);
  });

  it('when the engine says the number has no WhatsApp, then 422 not_on_whatsapp and no chat is written', async () => {
    const r = await start({ deviceId: waha.id, phone: '+49 151 2345 0000' });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('not_on_whatsapp');
    expect(await env.t.db('chats').where({ device_id: waha.id, jid: '4915123450000@s.whatsapp.net' })).toHaveLength(0);
  });

  it('when the number is not a phone number, then 400 naming the field; a bad device id, then 400', async () => {
    const r = await start({ deviceId: waha.id, phone: 'call me' });
    expect(r.status).toBe(400);
    expect(r.body.error.details[0]).toMatchObject({ field: 'phone' });
    expect((await start({ deviceId: 'nope', phone: '+4915123456789' })).status).toBe(400);
  });

  it('when a viewer of the device, or someone who does not see it, starts a chat, then 403 and 404', async () => {
    const dev = await env.t.db('devices').where({ id: waha.id }).first();
    const viewer = await makeUser(env.t.db, dev.org_id, 'editor');
    const stranger = await makeUser(env.t.db, dev.org_id, 'editor');
    await env.t.db('device_members').insert({ device_id: waha.id, user_id: viewer.id, role: 'viewer' });
    expect((await start({ deviceId: waha.id, phone: '+4915123456780' }, await login(env.http, viewer.email))).status).toBe(403);
    expect((await start({ deviceId: waha.id, phone: '+4915123456780' }, await login(env.http, stranger.email))).status).toBe(404);
  });

  it('when the engine is down, then the chat is still started (the check cannot answer) and the answer is quick', async () => {
    await control(env.sim).post('/faults', { body: { down: true } });
    try {
      const r = await start({ deviceId: wuz.id, phone: '+4915123456781' });
      expect(r.status).toBe(201);
    } finally {
      await control(env.sim).post('/faults', { body: { down: false } });
    }
  });
});
