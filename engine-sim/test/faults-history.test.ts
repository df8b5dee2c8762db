import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSim, startSimulator } from '../src/index.js';
import { control, parseJson, waha } from './support/clients.js';
import { type Receiver, startReceiver, until } from './support/receiver.js';

let sim: RunningSim;
let hook: Receiver;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, qrRotateMs: 5000, webhookRetry: { attempts: 4, delayMs: 20 } });
  hook = await startReceiver();
});
afterAll(async () => {
  await sim.close();
  await hook.close();
});
afterEach(async () => {
  await control(sim).post('/reset');
  hook.received.length = 0;
});

async function working(name: string, store = true) {
  await waha(sim).post('/api/sessions', {
    name, start: true, config: { webhooks: [{ url: `${hook.url}/${name}`, events: ['message'] }], noweb: { store: { enabled: store, fullSync: store } } },
  });
  await until(async () => (await waha(sim).get(`/api/sessions/${name}`)).body.status === 'SCAN_QR_CODE');
  await control(sim).post(`/sessions/${name}/scan`);
}
const messages = (name: string) => hook.received.filter((r) => r.path === `/${name}`).map((r) => parseJson(r.raw));

describe('webhook faults', () => {
  it('when the target answers 500 twice, then the delivery is retried until it succeeds', async () => {
    await working('f1');
    hook.failNext(2);
    await control(sim).post('/sessions/f1/inbound', { from: '15550001000', body: 'retry me' });
    await until(() => messages('f1').length === 1);
    // The receiver has the body before the sender has logged the answer: wait for the log too.
    const attempts = () => sim.deliveries().filter((d) => d.session === 'f1' && d.event === 'message');
    await until(() => attempts().some((a) => a.ok));
    expect(attempts().map((a) => a.ok)).toEqual([false, false, true]);
  });

  it('when webhookFailFirst is set, then the first attempt fails and the retry delivers once', async () => {
    await working('f2');
    await control(sim).post('/faults', { webhookFailFirst: true });
    await control(sim).post('/sessions/f2/inbound', { from: '15550001000', body: 'x' });
    await until(() => messages('f2').length === 1);
    await sim.webhooksIdle();
    expect(messages('f2')).toHaveLength(1);
    expect(sim.deliveries().filter((d) => d.session === 'f2')[0]!.error).toContain('simulated');
  });

  it('when webhookDuplicates is 2, then the same envelope arrives three times', async () => {
    await working('f3');
    await control(sim).post('/faults', { webhookDuplicates: 2 });
    await control(sim).post('/sessions/f3/inbound', { from: '15550001000', body: 'dup' });
    await until(() => messages('f3').length === 3);
    expect(new Set(messages('f3').map((m) => m.id)).size).toBe(1);
  });

  it('when the engine is down, then API calls fail at the network level and /_sim still answers', async () => {
    await control(sim).post('/faults', { down: true });
    await expect(fetch(`${sim.url}/api/sessions`, { headers: { 'X-Api-Key': sim.apiKey } })).rejects.toThrow();
    await expect(fetch(`${sim.wuzapiUrl}/session/status`, { headers: { Token: 'x' } })).rejects.toThrow();
    expect((await control(sim).get('/faults')).body.down).toBe(true);
    await control(sim).post('/faults', { down: false, latencyMs: 150 });
    const t0 = Date.now();
    expect((await waha(sim).get('/api/sessions')).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });
});

describe('history', () => {
  it('when 100,000 messages are filled, then it is quick and pages come back newest first without overlap', async () => {
    await working('h1');
    const t0 = Date.now();
    const r = await control(sim).post('/sessions/h1/history', { chats: 100, messagesPerChat: 1000 });
    expect(r.body).toMatchObject({ chats: 100, messages: 100_000 });
    expect(Date.now() - t0).toBeLessThan(3000);
    const chats = (await waha(sim).get('/api/h1/chats?limit=1000')).body;
    expect(chats).toHaveLength(100);
    const chatId = encodeURIComponent(chats[0].id);
    const p1 = (await waha(sim).get(`/api/h1/chats/${chatId}/messages?limit=100&offset=0`)).body;
    const p2 = (await waha(sim).get(`/api/h1/chats/${chatId}/messages?limit=100&offset=100`)).body;
    expect(p1).toHaveLength(100);
    expect(p1[0].timestamp).toBeGreaterThanOrEqual(p1[99].timestamp);
    expect(p1[99].timestamp).toBeGreaterThanOrEqual(p2[0].timestamp);
    expect(new Set([...p1, ...p2].map((m: { id: string }) => m.id)).size).toBe(200);
    expect(new Set(p1.map((m: { fromMe: boolean }) => m.fromMe)).size).toBe(2);
    const mine = (await waha(sim).get(`/api/h1/chats/${chatId}/messages?limit=50&filter.fromMe=true`)).body;
    expect(mine.every((m: { fromMe: boolean }) => m.fromMe)).toBe(true);
    const gte = p1[50].timestamp;
    const recent = (await waha(sim).get(`/api/h1/chats/${chatId}/messages?limit=1000&filter.timestamp.gte=${gte}`)).body;
    expect(recent).toHaveLength(51);
    const overview = (await waha(sim).get('/api/h1/chats/overview?limit=5&offset=0')).body;
    expect(overview[0]).toMatchObject({ id: expect.stringMatching(/@c\.us$/), lastMessage: expect.any(Object) });
    const contacts = (await waha(sim).get('/api/contacts/all?session=h1&limit=10&offset=0')).body;
    expect(contacts).toHaveLength(10);
  });

  it('when the session was created without the store, then chats are refused', async () => {
    await working('h2', false);
    expect((await waha(sim).get('/api/h2/chats')).status).toBe(400);
  });
});
