import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSim } from 'engine-sim';
import { startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase } from './support/test-db.js';
import { WebhookRelay, eventually, control } from './support/engine-env.js';
import { client } from './support/http.js';
import { createDb } from '../src/platform/db/knex.js';
import { makeOrg, makeUser, PASSWORD } from './support/factories.js';

let sim: RunningSim;
let relay: WebhookRelay;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let appUrl = '';

beforeAll(async () => {
  sim = await startSimulator({ qrRotateMs: 5_000 });
  relay = await new WebhookRelay(() => appUrl).start();
  database = await createTestDatabase();
});
afterAll(async () => {
  await relay.close();
  await sim.close();
  await database.drop();
});

const start = async () => {
  const t = await startTestApp(
    {
      WAHA_URL: sim.wahaUrl,
      WAHA_API_KEY: sim.apiKey,
      WUZAPI_URL: sim.wuzapiUrl,
      WUZAPI_ADMIN_TOKEN: sim.adminToken,
      WEBHOOK_BASE_URL: relay.url,
      SYNC_PAGE_SIZE: '25',
      SYNC_STALE_MS: '1000',
    },
    { databaseUrl: database.url },
  );
  appUrl = t.url;
  return t;
};

describe('history import across a restart', () => {
  it('when the gateway stops mid-import (and its worker looks crashed), then the next gateway resumes from the cursor and finishes with no duplicates', async () => {
    let t: TestApp = await start();
    const http = client(t.url);
    const org = await makeOrg(t.db);
    const u = await makeUser(t.db, org.id, 'editor');
    const token = (await http.post('/api/auth/login', { body: { email: u.email, password: PASSWORD } })).body.accessToken;
    const d = (await http.post('/api/devices', { token, body: { name: 'Big phone' } })).body;
    await control(sim).post(`/sessions/${d.engineSession}/history`, { body: { chats: 12, messagesPerChat: 150 } });
    await eventually(async () => (await http.get(`/api/devices/${d.id}/qr`, { token })).body.qr);
    await control(sim).post('/faults', { body: { latencyMs: 15 } }); // slow enough to stop it halfway
    await control(sim).post(`/sessions/${d.engineSession}/scan`, {});

    const mid = await eventually(async () => {
      const j = await t.db('sync_jobs').where({ device_id: d.id }).first();
      return j && j.done_messages >= 300 ? j : undefined;
    }, 20_000, 'import under way');
    expect(mid.done_messages).toBeLessThan(1800);
    await t.close();
    // As if that gateway had crashed instead: still "running", its heartbeat long gone.
    const db = createDb(database.url, { min: 0, max: 1 });
    const paused = await db('sync_jobs').where({ device_id: d.id }).first();
    await db('sync_jobs').where({ id: paused.id }).update({ status: 'running', heartbeat_at: db.raw(`now() - interval '1 hour'`) });
    await db.destroy();
    expect(paused.status).toBe('queued'); // the graceful stop had handed it back
    expect(paused.cursor.afterJid || paused.cursor.msgOffset).toBeTruthy(); // it had a place to resume from

    await control(sim).post('/faults', { body: { latencyMs: 0 } });
    t = await start();
    try {
      const done = await eventually(async () => {
        const j = await t.db('sync_jobs').where({ device_id: d.id }).first();
        return j.status === 'done' ? j : undefined;
      }, 30_000, 'import finished');
      const { rows } = await t.db.raw(`SELECT count(*)::int AS n, count(DISTINCT engine_message_id)::int AS distinct_ids FROM messages WHERE device_id = ?`, [d.id]);
      expect(rows[0]).toEqual({ n: 1800, distinct_ids: 1800 });
      expect(done.done_chats).toBe(12);
      expect(done.imported_messages).toBe(1800);
      expect(await t.db('sync_jobs').where({ device_id: d.id })).toHaveLength(1);
    } finally {
      await t.close();
    }
  }, 90_000);
});
