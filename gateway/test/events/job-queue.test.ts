import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startEngineEnv, eventually, control, type EngineEnv } from '../support/engine-env.js';
import { JobQueue } from '../../src/platform/jobs/job-queue.js';

let env: EngineEnv;
beforeAll(async () => {
  env = await startEngineEnv({ RECONCILE_INTERVAL_MS: '1000', SYNC_MAX_ATTEMPTS: '3' });
});
afterAll(() => env.close());

const queued = async (key: string) => (await env.t.db('graphile_worker.jobs').where({ key })) as { attempts: number; run_at: Date; locked_at: Date | null }[];

async function connectedDevice(name: string) {
  const { http, owner } = env;
  const d = (await http.post('/api/devices', { token: owner.token, body: { name } })).body;
  await control(env.sim).post(`/sessions/${d.engineSession}/history`, { body: { chats: 3, messagesPerChat: 20 } });
  await eventually(async () => (await http.get(`/api/devices/${d.id}/qr`, { token: owner.token })).body.qr, 10_000, 'qr');
  await control(env.sim).post(`/sessions/${d.engineSession}/scan`, {});
  return d as { id: string; engineSession: string };
}

describe('one durable job queue', () => {
  it('when a device connects, then its first import is queued once (at once in process, and by a durable consumer that finds it there) and run on the queue to the end', async () => {
    const d = await connectedDevice('Queue import');
    const done = await eventually(async () => {
      const r = await env.http.get(`/api/devices/${d.id}/sync`, { token: env.owner.token });
      return r.body?.status === 'done' ? r.body : undefined;
    }, 20_000, 'first import done');
    expect(done).toMatchObject({ trigger: 'connected', doneChats: 3, importedMessages: 60 });
    expect(await env.t.db('sync_jobs').where({ device_id: d.id })).toHaveLength(1);
    expect(await queued(`sync:${d.id}`)).toEqual([]); // finished jobs leave the queue
  });

  it('when an import fails (engine down), then the queue tries it again after a back-off and it finishes once the engine is back', async () => {
    const d = await connectedDevice('Queue retry');
    await eventually(async () => (await env.http.get(`/api/devices/${d.id}/sync`, { token: env.owner.token })).body?.status === 'done', 20_000, 'first import');
    await control(env.sim).post('/faults', { body: { down: true } });
    try {
      const asked = await env.http.post(`/api/devices/${d.id}/sync`, { token: env.owner.token });
      expect(asked.status).toBe(202);
      // Asking twice keeps one job on the queue (one key per device).
      await env.http.post(`/api/devices/${d.id}/sync`, { token: env.owner.token });
      const failedOnce = await eventually(async () => {
        const j = await env.t.db('sync_jobs').where({ id: asked.body.id }).first();
        return j.status === 'queued' && j.error ? j : undefined;
      }, 20_000, 'first attempt failed');
      expect(failedOnce.finished_at).toBeNull();
      // Back on the queue (no longer locked), its first attempt spent, waiting out its back-off.
      const job = await eventually(async () => (await queued(`sync:${d.id}`)).find((j) => !j.locked_at), 10_000, 'job back on the queue');
      expect(job).toMatchObject({ attempts: 1 });
      expect(job.run_at.getTime()).toBeGreaterThan(failedOnce.heartbeat_at.getTime() + 1_000);
    } finally {
      await control(env.sim).post('/faults', { body: { down: false } });
    }
    const done = await eventually(async () => {
      const j = await env.t.db('sync_jobs').where({ device_id: d.id, trigger: 'manual' }).first();
      return j.status === 'done' ? j : undefined;
    }, 20_000, 'retried import done');
    expect(done).toMatchObject({ error: null, done_chats: 3 });
    expect(await (await fetch(`${env.t.url}/metrics`)).text()).toMatch(/jobs_failed_total\{task="sync.import"\} [1-9]/);
  });

  it('when a device’s stored status disagrees with its engine, then the queued reconcile (one job across replicas) corrects it within its interval', async () => {
    const d = await connectedDevice('Queue reconcile');
    await eventually(async () => (await env.http.get(`/api/devices/${d.id}/sync`, { token: env.owner.token })).body?.status === 'done', 20_000, 'connected and imported');
    await env.t.db('devices').where({ id: d.id }).update({ status: 'disconnected' });
    await eventually(async () => (await env.t.db('devices').where({ id: d.id }).first()).status === 'connected', 10_000, 'reconciled');
    expect(await queued('every:devices.reconcile')).toHaveLength(1);
  });

  it('when the prune jobs run, then old webhook receipts, spent login counters and events past retention are deleted, and recent ones kept', async () => {
    const { db } = env.t;
    const device = await db('devices').first('id', 'org_id');
    await db('webhook_receipts').insert([
      { device_id: device.id, engine_event_id: 'old', received_at: db.raw(`now() - interval '100 hours'`) },
      { device_id: device.id, engine_event_id: 'new' },
    ]);
    await db('rate_limits').insert([
      { key: 'spent', hits: 3, reset_at: db.raw(`now() - interval '1 minute'`) },
      { key: 'live', hits: 3, reset_at: db.raw(`now() + interval '1 hour'`) },
    ]);
    const [old] = await db('events').insert({ org_id: device.org_id, type: 'sync.progress', data: {}, created_at: db.raw(`now() - interval '48 hours'`) }).returning('id');
    await env.t.services.jobs.add('maintenance.prune', {});
    await env.t.services.jobs.add('realtime.prune-events', {});
    await eventually(async () => !(await db('events').where({ id: old.id }).first()), 10_000, 'events pruned');
    await eventually(async () => (await db('webhook_receipts').where({ device_id: device.id }).whereIn('engine_event_id', ['old', 'new']).pluck('engine_event_id')).join() === 'new', 10_000, 'receipts pruned');
    expect(await db('rate_limits').whereIn('key', ['spent', 'live']).pluck('key')).toEqual(['live']);
  });

  it('when the queue stops while a job is under way, then the job is told (abort signal) and stop returns only once it has ended', async () => {
    const jobs = new JobQueue(env.t.db, { concurrency: 1, pollMs: 100 }, pino({ level: 'silent' }));
    let started = false;
    let finished = false;
    jobs.define('test.slow', async (_p, run) => {
      started = true;
      for (let i = 0; i < 500 && !run.signal.aborted; i++) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 50)); // the step under way when told
      finished = true;
    });
    await jobs.start();
    await jobs.add('test.slow', {});
    await eventually(async () => started, 10_000, 'job started');
    const t0 = Date.now();
    await jobs.stop();
    expect(finished).toBe(true);
    expect(Date.now() - t0).toBeLessThan(2_000);
  });
});
