// WuzAPI history import against the simulator answering as the real handlers do (asternic/wuzapi
// upstream 30c1805): the history index is a map of EVERY user's chats, /chat/history pages by limit
// only, and most history arrives as HistorySync webhooks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { control, eventually, startEngineEnv, type EngineEnv } from './support/engine-env.js';

let env: EngineEnv;

beforeAll(async () => {
  env = await startEngineEnv({ SYNC_PAGE_SIZE: '25', SYNC_HISTORY_QUIET_SECONDS: '3' });
});
afterAll(async () => {
  await env?.close();
});

const wuz = (token: string) => ({
  post: (path: string, body: unknown, auth: Record<string, string> = { Token: token }) =>
    fetch(`${env.sim.wuzapiUrl}${path}`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<any>),
});

/** Another customer's WuzAPI user on the same server, with chats of its own in message_history. */
async function stranger() {
  await wuz('tok-stranger').post('/admin/users', { name: 'stranger', token: 'tok-stranger', history: 100 }, { Authorization: env.sim.adminToken });
  await wuz('tok-stranger').post('/session/connect', { Subscribe: ['Message'], Immediate: true });
  await eventually(async () => [...env.sim.store.wuzapi.values()].find((u) => u.name === 'stranger')?.qr, 5000, 'stranger QR');
  await control(env.sim).post('/sessions/stranger/scan', { body: { phone: '17770000000' } });
  const ids: string[] = [];
  for (const from of ['17770000001', '17770000002', '17770000003']) {
    ids.push((await control(env.sim).post('/sessions/stranger/inbound', { body: { from, body: `private to the stranger from ${from}` } })).body.id);
  }
  return { ids, chats: ['17770000001@s.whatsapp.net', '17770000002@s.whatsapp.net', '17770000003@s.whatsapp.net'] };
}

const job = (deviceId: string) => env.t.db('sync_jobs').where({ device_id: deviceId }).orderBy('id', 'desc').first();

describe('WuzAPI history import', () => {
  it('when the phone pushes its history while the import waits, then every pushed chat and message is stored once and the engine\'s "complete" ends it; a re-import reads only this user\'s chats from the shared index', async () => {
    const other = await stranger();
    const { http, owner, sim } = env;
    const d = (await http.post('/api/devices', { token: owner.token, body: { name: 'WuzAPI phone', engine: 'wuzapi' } })).body;
    expect(d.engine).toBe('wuzapi');
    await eventually(async () => (await http.get(`/api/devices/${d.id}/qr`, { token: owner.token })).body.qr, 10_000, 'QR');
    await control(sim).post(`/sessions/${d.engineSession}/scan`, { body: { phone: '15559990000' } });

    // The phone is empty at first: the import reads the API (nothing of ours yet), then waits for pushes.
    const waiting = await eventually(async () => {
      const r = await http.get(`/api/devices/${d.id}/sync`, { token: owner.token });
      return r.status === 200 && r.body.phase === 'engine_history' ? r.body : undefined;
    }, 15_000, 'import waiting for the engine');
    expect(waiting).toMatchObject({ status: 'running', doneChats: 0, doneMessages: 0 });

    // The phone now sends 6 chats × 40 messages as HistorySync (FULL, progress 100).
    const filled = (await control(sim).post(`/sessions/${d.engineSession}/history`, { body: { chats: 6, messagesPerChat: 40 } })).body;
    const done = await eventually(async () => {
      const r = await http.get(`/api/devices/${d.id}/sync`, { token: owner.token });
      return r.body.status === 'done' ? r.body : undefined;
    }, 15_000, 'import ended by the engine');
    expect(done).toMatchObject({ phase: null, doneChats: 6, totalChats: 6, doneMessages: 240 });
    expect((await job(d.id)).engine_complete).toBe(true);

    const count = async () =>
      (await env.t.db.raw(`SELECT count(*)::int AS n, count(DISTINCT engine_message_id)::int AS ids FROM messages WHERE device_id = ?`, [d.id])).rows[0];
    expect(await count()).toEqual({ n: 240, ids: 240 });
    const chats = (await env.t.db('chats').where({ device_id: d.id }).select('jid')).map((c) => c.jid).sort();
    expect(chats).toEqual(filled.chatIds.map((p: string) => `${p}@s.whatsapp.net`).sort());
    const list = (await http.get(`/api/chats?deviceId=${d.id}`, { token: owner.token })).body.items;
    expect(list.every((c: { lastMessageAt: string | null }) => c.lastMessageAt)).toBe(true); // previews from the pushed history

    // The store is lost; a new import can only read /chat/history: the index holds the stranger's
    // chats too, and pages come by limit only (SYNC_PAGE_SIZE 25 < 40 per chat).
    await env.t.db('messages').where({ device_id: d.id }).del();
    expect((await http.post(`/api/devices/${d.id}/sync`, { token: owner.token })).status).toBe(202);
    const again = await eventually(async () => {
      const r = await http.get(`/api/devices/${d.id}/sync`, { token: owner.token });
      return r.body.status === 'done' && r.body.id !== done.id ? r.body : undefined;
    }, 20_000, 're-import ended by the quiet period');
    expect(again).toMatchObject({ doneChats: 6, totalChats: 6, importedMessages: 240 });
    expect((await job(d.id)).engine_complete).toBe(false); // nothing pushed: the quiet period ended it
    expect(await count()).toEqual({ n: 240, ids: 240 });
    const leaked = await env.t.db('chats').where({ device_id: d.id }).whereIn('jid', other.chats);
    expect(leaked).toEqual([]);
    expect(await env.t.db('messages').whereIn('engine_message_id', other.ids)).toEqual([]);
  }, 90_000);
});
