import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineEnv, eventually, control, replay, type EngineEnv } from '../support/engine-env.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { createTestDatabase } from '../support/test-db.js';
import { createDb } from '../../src/platform/db/knex.js';
import { makeOrg, makeUser } from '../support/factories.js';
import { liveSocket, sleep, type TestSocket } from './ws.support.js';

/** Two gateway processes (A takes the engine's webhooks, B does not) on one database. */
let database: { url: string; drop(): Promise<void> };
let env: EngineEnv; // A, with the simulator and the webhook relay
let b: TestApp;
let device: { id: string; engineSession: string };
let onA: TestSocket;
let onB: TestSocket;
let onB2: TestSocket;

beforeAll(async () => {
  database = await createTestDatabase();
  const seed = createDb(database.url, { min: 0, max: 1 });
  const org = await makeOrg(seed);
  await makeUser(seed, org.id, 'editor');
  await seed.destroy();
  env = await startEngineEnv({}, { databaseUrl: database.url });
  b = await startTestApp({ WAHA_URL: env.sim.wahaUrl, WAHA_API_KEY: env.sim.apiKey, WUZAPI_URL: env.sim.wuzapiUrl, WUZAPI_ADMIN_TOKEN: env.sim.adminToken }, { databaseUrl: database.url, background: false });

  const token = env.owner.token;
  const d = (await env.http.post('/api/devices', { token, body: { name: 'Replicated', engine: 'waha' } })).body;
  await eventually(async () => (await env.http.get(`/api/devices/${d.id}/qr`, { token })).body.qr, 10_000, 'qr');
  await control(env.sim).post(`/sessions/${d.engineSession}/scan`, {});
  await eventually(async () => (await env.http.get(`/api/devices/${d.id}`, { token })).body.status === 'connected', 10_000, 'connected');
  device = d;
  onA = await liveSocket(env.t.url, token);
  onB = await liveSocket(b.url, token);
  onB2 = await liveSocket(b.url, token, { auth: 'message' });
});
afterAll(async () => {
  for (const s of [onA, onB, onB2]) await s?.close();
  await b?.close();
  await env?.close();
  await database.drop();
});

const times = (s: TestSocket, body: string) => s.events('message.created').filter((f) => f.data.body === body).length;

describe('/ws across gateway processes', () => {
  it('when a webhook is taken by process A, then a socket on process B gets the event exactly once (and so does a socket on A)', async () => {
    await control(env.sim).post(`/sessions/${device.engineSession}/inbound`, { body: { from: '4915100000001', body: 'via A' } });
    await onB.waitFor((f) => f.type === 'message.created' && f.data.body === 'via A', 10_000, 'B gets it');
    await onA.waitFor((f) => f.type === 'message.created' && f.data.body === 'via A', 10_000, 'A gets it');
    await sleep(300);
    expect([times(onA, 'via A'), times(onB, 'via A'), times(onB2, 'via A')]).toEqual([1, 1, 1]);
  });

  it('when the same delivery then reaches process B (an engine retry landing elsewhere), then it is stored once and nobody gets it twice', async () => {
    env.relay.forward = false;
    await control(env.sim).post(`/sessions/${device.engineSession}/inbound`, { body: { from: '4915100000001', body: 'via B' } });
    const delivery = await eventually(async () => env.relay.deliveries.find((d) => d.body.toString().includes('via B')), 10_000, 'recorded delivery');
    env.relay.forward = true;
    expect((await replay(b.url, delivery)).status).toBe(200);
    expect((await replay(env.t.url, delivery)).status).toBe(200);
    await onA.waitFor((f) => f.type === 'message.created' && f.data.body === 'via B', 10_000, 'A gets it');
    await onB.waitFor((f) => f.type === 'message.created' && f.data.body === 'via B', 10_000, 'B gets it');
    await sleep(300);
    expect([times(onA, 'via B'), times(onB, 'via B'), times(onB2, 'via B')]).toEqual([1, 1, 1]);
  });

  it('when events arrive through both processes, then both processes deliver the same sequence', async () => {
    // From the first message on (sockets joined at different moments before it).
    const from = onB.events('message.created').find((f) => f.data.body === 'via A')!.seq!;
    const seqs = (s: TestSocket) => s.events().map((f) => f.seq!).filter((q) => q >= from);
    await eventually(async () => seqs(onA).join() === seqs(onB).join(), 5_000, `same sequence: A ${seqs(onA)} B ${seqs(onB)}`);
    expect(seqs(onB)).toEqual(seqs(onB2));
    expect(seqs(onA).length).toBeGreaterThanOrEqual(4); // two messages, two chat updates
  });
});
