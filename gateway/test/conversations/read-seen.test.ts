import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineEnv, eventually, control, type EngineEnv } from '../support/engine-env.js';

/** Marking a chat read: the gateway's unread count, the `chat.updated` event, and seen on the engine. */
let env: EngineEnv;
beforeAll(async () => {
  env = await startEngineEnv();
});
afterAll(() => env.close());

async function connected(engine: 'waha' | 'wuzapi') {
  const { http, owner } = env;
  const d = (await http.post('/api/devices', { token: owner.token, body: { name: `Read ${engine}`, engine } })).body;
  await eventually(async () => (await http.get(`/api/devices/${d.id}/qr`, { token: owner.token })).body.qr, 10_000, 'qr');
  await control(env.sim).post(`/sessions/${d.engineSession}/scan`, {});
  await eventually(async () => (await http.get(`/api/devices/${d.id}`, { token: owner.token })).body.status === 'connected', 10_000, 'connected');
  // The history import would take messages that arrive meanwhile as history (never unread).
  await eventually(async () => (await http.get(`/api/devices/${d.id}/sync`, { token: owner.token })).body.status === 'done', 15_000, 'import done');
  return d as { id: string; engineSession: string };
}

const seenCalls = async (session: string) =>
  ((await control(env.sim).get(`/sessions/${session}/sent`)).body as { kind: string; request: Record<string, unknown> }[]).filter((s) => s.kind === 'seen' || s.kind === 'markread');

for (const engine of ['waha', 'wuzapi'] as const) {
  describe(`marking read over ${engine}`, () => {
    it('when the owner reads a chat with unread messages, then unread is 0, browsers get chat.updated and the engine is told seen', async () => {
      const { http, owner } = env;
      const d = await connected(engine);
      const from = engine === 'waha' ? '4915550001001' : '4915550001002';
      for (const body of ['first', 'second']) await control(env.sim).post(`/sessions/${d.engineSession}/inbound`, { body: { from, body } });
      const chat = await eventually(async () => {
        const r = await http.get(`/api/chats?deviceId=${d.id}&unread=true`, { token: owner.token });
        return r.body.items.find((c: { unreadCount: number }) => c.unreadCount === 2);
      }, 10_000, 'two unread messages');

      const r = await http.post(`/api/chats/${chat.id}/read`, { token: owner.token });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ id: chat.id, unreadCount: 0, access: 'owner' });
      expect((await http.get(`/api/chats/${chat.id}`, { token: owner.token })).body.unreadCount).toBe(0);
      const ev = await env.t.db('events').where({ chat_id: chat.id, type: 'chat.updated' }).orderBy('id', 'desc').first();
      expect(ev.data).toMatchObject({ id: chat.id, unreadCount: 0 });

      const calls = await eventually(async () => {
        const s = await seenCalls(d.engineSession);
        return s.length ? s : undefined;
      }, 10_000, 'seen on the engine');
      const ids = JSON.stringify(calls.map((c) => c.request));
      const stored = await env.t.db('messages').where({ chat_id: chat.id }).pluck('engine_message_id');
      for (const id of stored) expect(ids).toContain(id);
    });
  });
}

describe('marking read while the engine is down', () => {
  it('when the engine does not answer, then the read still succeeds in the gateway', async () => {
    const { http, owner } = env;
    const d = await connected('waha');
    await control(env.sim).post(`/sessions/${d.engineSession}/inbound`, { body: { from: '4915550001003', body: 'hello?' } });
    const chat = await eventually(async () => (await http.get(`/api/chats?deviceId=${d.id}&unread=true`, { token: owner.token })).body.items[0], 10_000, 'an unread chat');
    await control(env.sim).post('/faults', { body: { down: true } });
    try {
      const r = await http.post(`/api/chats/${chat.id}/read`, { token: owner.token });
      expect(r.status).toBe(200);
      expect(r.body.unreadCount).toBe(0);
    } finally {
      await control(env.sim).post('/faults', { body: { down: false } });
    }
  });

  it('when nothing is unread, then reading again changes nothing and calls no engine', async () => {
    const { http, owner } = env;
    const d = await connected('waha');
    await control(env.sim).post(`/sessions/${d.engineSession}/inbound`, { body: { from: '4915550001004', body: 'once' } });
    const chat = await eventually(async () => (await http.get(`/api/chats?deviceId=${d.id}&unread=true`, { token: owner.token })).body.items[0], 10_000, 'an unread chat');
    expect((await http.post(`/api/chats/${chat.id}/read`, { token: owner.token })).status).toBe(200);
    await eventually(async () => (await seenCalls(d.engineSession)).length === 1, 10_000, 'one seen');
    const events = async () => Number((await env.t.db('events').where({ chat_id: chat.id, type: 'chat.updated' }).count('* as n'))[0]!.n);
    const before = await events();
    expect((await http.post(`/api/chats/${chat.id}/read`, { token: owner.token })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(await seenCalls(d.engineSession)).toHaveLength(1);
    expect(await events()).toBe(before);
  });
});
