// WuzAPI history pushes (HistorySync webhooks) racing the import they count toward: the engine posts
// its webhooks concurrently, and on a busy machine they reach the gateway in any order and are
// stored at any speed. The relay between simulator and gateway holds deliveries back, and a lock on
// the messages table holds a push in the middle of being stored, so each order is made to happen,
// not hoped for.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../src/platform/db/knex.js';
import { control, eventTypeOf, eventually, startEngineEnv, type EngineEnv } from './support/engine-env.js';

let env: EngineEnv;
beforeAll(async () => {
  env = await startEngineEnv({ SYNC_HISTORY_QUIET_SECONDS: '1' });
});
afterAll(() => env?.close());

const syncOf = async (deviceId: string) => (await env.http.get(`/api/devices/${deviceId}/sync`, { token: env.owner.token })).body;
const messagesOf = async (deviceId: string) => Number((await env.t.db('messages').where({ device_id: deviceId }).count<{ c: number }[]>('* as c'))[0]!.c);

async function newWuzapiDevice(name: string) {
  const d = (await env.http.post('/api/devices', { token: env.owner.token, body: { name, engine: 'wuzapi' } })).body;
  await eventually(async () => (await env.http.get(`/api/devices/${d.id}/qr`, { token: env.owner.token })).body.qr, 15_000, 'a QR');
  return d as { id: string; engineSession: string };
}

describe('WuzAPI history pushes racing the import', () => {
  it('when the HistorySync push is stored before the gateway has heard of the connection, then the import that starts counts it: done with every message, ended by the engine\'s "complete"', async () => {
    const d = await newWuzapiDevice('Push before connect');
    expect((await control(env.sim).post(`/sessions/${d.engineSession}/history`, { body: { chats: 4, messagesPerChat: 30 } })).status).toBe(200);
    // The connection's webhooks wait at the relay until the history push is in.
    const connection = env.relay.hold((x) => x.path.includes(d.id) && ['Connected', 'PairSuccess'].includes(eventTypeOf(x) ?? ''));
    try {
      expect((await control(env.sim).post(`/sessions/${d.engineSession}/scan`, { body: { phone: '4915100001111' } })).status).toBe(200);
      await eventually(async () => (await messagesOf(d.id)) === 120, 30_000, 'the pushed history stored');
      expect(connection.held).toBeGreaterThan(0); // the gateway has stored the push without knowing the phone is connected
    } finally {
      connection.release();
    }
    const job = await eventually(async () => {
      const s = await syncOf(d.id);
      return s?.status === 'done' ? s : undefined;
    }, 30_000, 'import done');
    expect(job).toMatchObject({ doneChats: 4, totalChats: 4, doneMessages: 120 });
    const row = await env.t.db('sync_jobs').where({ id: job.id }).first();
    expect(row.engine_complete).toBe(true);
    expect(await env.t.db('sync_jobs').where({ device_id: d.id }).count<{ c: number }[]>('* as c').then((r) => Number(r[0]!.c))).toBe(1);
  }, 90_000);

  it('when a push is still being stored as the quiet period ends, then the import waits for it and counts it, never "done" without its messages', async () => {
    const d = await newWuzapiDevice('Slow push');
    // An empty phone: the import reads the API (nothing), then waits for pushes.
    expect((await control(env.sim).post(`/sessions/${d.engineSession}/scan`, { body: { phone: '4915100002222' } })).status).toBe(200);
    await eventually(async () => (await syncOf(d.id))?.phase === 'engine_history', 30_000, 'import waiting for the engine');

    // The phone pushes 3 chats; the push waits at the relay while a transaction of the test's own (on
    // its own connection) writes one of its chats without committing: the push, once let through, gets
    // as far as storing that chat, and waits there — in flight, inside the gateway.
    const push = env.relay.hold((x) => x.path.includes(d.id) && eventTypeOf(x) === 'HistorySync');
    const blockerDb = createDb(env.t.config.DATABASE_URL!, { min: 0, max: 2 });
    const blocker = await blockerDb.transaction();
    try {
      expect((await control(env.sim).post(`/sessions/${d.engineSession}/history`, { body: { chats: 3, messagesPerChat: 20 } })).status).toBe(200);
      await eventually(async () => push.held > 0, 30_000, 'the push at the relay');
      const delivery = env.relay.deliveries.filter((x) => x.path.includes(d.id) && eventTypeOf(x) === 'HistorySync').at(-1)!;
      const jid = JSON.parse(new URLSearchParams(delivery.body.toString()).get('jsonData')!).event.Data.conversations[0].ID as string;
      await blocker('chats').insert({ org_id: env.org.id, device_id: d.id, jid });
      const { pid } = (await blocker.raw('SELECT pg_backend_pid() AS pid')).rows[0];
      const blocked = async () => Number((await blockerDb.raw(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE ? = ANY(pg_blocking_pids(pid))`, [pid])).rows[0].n);
      push.release();
      await eventually(async () => (await blocked()) > 0, 30_000, 'the push storing its chats');
      // The quiet period (1 s) runs out while the push is in flight: the import either ends now (wrong)
      // or waits for the push (its end asks for the device's history lock, which the push holds).
      const endWaits = async () =>
        Number((await blockerDb.raw(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND mode = 'ExclusiveLock' AND NOT granted`)).rows[0].n) > 0;
      await eventually(async () => (await syncOf(d.id))?.status === 'done' || (await endWaits()), 30_000, 'the import to try to end');
      expect((await syncOf(d.id)).status).not.toBe('done');
    } finally {
      push.release();
      await blocker.rollback().catch(() => undefined);
      await blockerDb.destroy();
    }
    const job = await eventually(async () => {
      const s = await syncOf(d.id);
      return s?.status === 'done' ? s : undefined;
    }, 30_000, 'import done');
    expect(await messagesOf(d.id)).toBe(60);
    expect(job).toMatchObject({ doneChats: 3, doneMessages: 60 });
  }, 90_000);
});
