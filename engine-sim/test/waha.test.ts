import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSim, startSimulator } from '../src/index.js';
import { control, parseJson, waha } from './support/clients.js';
import { type Receiver, startReceiver, until } from './support/receiver.js';

let sim: RunningSim;
let hook: Receiver;
const HMAC_KEY = 'waha-test-hmac-key';

beforeAll(async () => {
  sim = await startSimulator({ port: 0, qrRotateMs: 150, webhookRetry: { attempts: 4, delayMs: 20 } });
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

const createSession = (name: string, events: string[] = ['*'], extra: Record<string, unknown> = {}) =>
  waha(sim).post('/api/sessions', {
    name, start: true,
    config: { metadata: { 'device.id': name }, webhooks: [{ url: `${hook.url}/waha/${name}`, events, hmac: { key: HMAC_KEY } }], noweb: { store: { enabled: true, fullSync: true } }, ...extra },
  });
const events = (name: string) => hook.received.filter((r) => r.path === `/waha/${name}`).map((r) => parseJson(r.raw));
const statusOf = async (name: string) => (await waha(sim).get(`/api/sessions/${name}`)).body.status as string;

async function working(name: string, phone = '15550001111') {
  await createSession(name);
  await until(async () => (await statusOf(name)) === 'SCAN_QR_CODE');
  await control(sim).post(`/sessions/${name}/scan`, { phone });
  await until(() => events(name).some((e) => e.event === 'session.status' && e.payload.status === 'WORKING'));
}

describe('WAHA auth', () => {
  it('when the X-Api-Key is missing or wrong, then 401 with WAHA body', async () => {
    for (const key of ['', 'wrong']) {
      const r = await waha(sim, key).get('/api/sessions');
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ message: 'Unauthorized', statusCode: 401 });
    }
  });

  it('when the key comes as the x-api-key query parameter, then it is accepted', async () => {
    const res = await fetch(`${sim.url}/api/sessions?all=true&x-api-key=${sim.apiKey}`);
    expect(res.status).toBe(200);
  });
});

describe('WAHA sessions', () => {
  it('when a session is created, then 201; the same name again, then 422; an unknown one, then 404', async () => {
    const a = await createSession('s1');
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ name: 's1', status: 'STARTING' });
    expect((await createSession('s1')).status).toBe(422);
    expect((await waha(sim).get('/api/sessions/nope')).status).toBe(404);
    const list = await waha(sim).get('/api/sessions?all=true');
    expect(list.body.map((s: { name: string }) => s.name)).toEqual(['s1']);
  });

  it('when started, then STARTING → SCAN_QR_CODE, the QR rotates and each rotation re-posts SCAN_QR_CODE', async () => {
    await createSession('s2');
    const first = await until(async () => {
      const r = await waha(sim).get('/api/s2/auth/qr?format=raw');
      return r.status === 200 ? (r.body.value as string) : null;
    });
    const second = await until(async () => {
      const v = (await waha(sim).get('/api/s2/auth/qr?format=raw')).body.value as string;
      return v !== first ? v : null;
    });
    expect(second).not.toBe(first);
    await until(() => events('s2').filter((e) => e.payload.status === 'SCAN_QR_CODE').length >= 2);
    expect(events('s2')[0].payload).toMatchObject({ name: 's2', status: 'STARTING' });
    const png = await fetch(`${sim.url}/api/s2/auth/qr?format=image`, { headers: { 'X-Api-Key': sim.apiKey } });
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await png.arrayBuffer()).subarray(1, 4).toString()).toBe('PNG');
  });

  it('when the session is not in SCAN_QR_CODE, then the QR answers 422 with the expected status', async () => {
    await waha(sim).post('/api/sessions', { name: 's3', start: false });
    const r = await waha(sim).get('/api/s3/auth/qr?format=raw');
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ session: 's3', status: 'STOPPED', expected: ['SCAN_QR_CODE'] });
  });

  it('when the phone scans, then WORKING with a signed session.status webhook and /me answers', async () => {
    await working('s4', '15551234567');
    const w = events('s4').find((e) => e.payload.status === 'WORKING');
    expect(w).toMatchObject({ event: 'session.status', session: 's4', engine: 'NOWEB', metadata: { 'device.id': 's4' } });
    expect(w.id).toMatch(/^evt_[0-9a-z]{26}$/);
    expect((await waha(sim).get('/api/sessions/s4/me')).body).toMatchObject({ id: '15551234567@c.us' });
    const code = await waha(sim).post('/api/s4/auth/request-code', { phoneNumber: '15559990000' });
    expect(code.status).toBe(422);
  });

  it('when logged out by API, then back to SCAN_QR_CODE; stopped, then STOPPED and /me is null', async () => {
    await working('s5');
    await waha(sim).post('/api/sessions/s5/logout');
    await until(async () => (await statusOf('s5')) === 'SCAN_QR_CODE');
    await waha(sim).post('/api/sessions/s5/stop');
    expect(await statusOf('s5')).toBe('STOPPED');
    expect((await waha(sim).get('/api/sessions/s5/me')).body).toBeNull();
  });

  it('when a pairing code is requested while waiting for a scan, then ABCD-EFGH', async () => {
    await createSession('s6');
    await until(async () => (await statusOf('s6')) === 'SCAN_QR_CODE');
    const r = await waha(sim).post('/api/s6/auth/request-code', { phoneNumber: '+1 555 777 8888' });
    expect(r.status).toBe(201);
    expect(r.body.code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    await control(sim).post('/sessions/s6/scan');
    expect((await waha(sim).get('/api/sessions/s6/me')).body.id).toBe('15557778888@c.us');
  });
});

describe('WAHA messages and webhooks', () => {
  it('when a contact writes, then message and message.any arrive with a valid HMAC-SHA512 of the raw body', async () => {
    await working('m1');
    const r = await control(sim).post('/sessions/m1/inbound', { from: '+1 555 000 2222', body: 'hello', pushName: 'Ann' });
    expect(r.status).toBe(200);
    await until(() => events('m1').filter((e) => e.event.startsWith('message')).length >= 2);
    const msgs = hook.received.filter((x) => parseJson(x.raw).event.startsWith('message'));
    for (const m of msgs) {
      expect(m.headers['x-webhook-hmac']).toBe(createHmac('sha512', HMAC_KEY).update(m.raw).digest('hex'));
      expect(m.headers['x-webhook-hmac-algorithm']).toBe('sha512');
      expect(m.headers['x-webhook-request-id']).toBeTruthy();
      expect(Number(m.headers['x-webhook-timestamp'])).toBeGreaterThan(1e12);
    }
    const [message, any] = msgs.map((m) => parseJson(m.raw));
    expect(message.event).toBe('message');
    expect(any.event).toBe('message.any');
    expect(message.payload).toMatchObject({ id: r.body.id, from: '15550002222@c.us', fromMe: false, body: 'hello', source: 'app' });
    expect(message.payload.id).toMatch(/^false_15550002222@c\.us_[0-9A-F]+$/);
    expect(message.payload.timestamp).toBeLessThan(1e11);
    expect(message.timestamp).toBeGreaterThan(1e12);
  });

  it('when the sender arrives as a LID, then the lid map resolves it to the phone', async () => {
    await working('m2');
    const r = await control(sim).post('/sessions/m2/inbound', { from: '15550003333', body: 'via lid', lid: true });
    expect(r.body.from).toMatch(/^\d+@lid$/);
    const lid = (await waha(sim).get(`/api/m2/lids/${encodeURIComponent(r.body.from)}`)).body;
    expect(lid).toEqual({ lid: r.body.from, pn: '15550003333@c.us' });
    const all = (await waha(sim).get('/api/m2/lids')).body;
    expect(all).toContainEqual({ lid: r.body.from, pn: '15550003333@c.us' });
    expect((await waha(sim).get('/api/m2/lids/pn/15550003333')).body.lid).toBe(r.body.from);
  });

  it('when an ack arrives, then message.ack carries ack and ackName', async () => {
    await working('m3');
    const sent = await waha(sim).post('/api/sendText', { session: 'm3', chatId: '15550004444@c.us', text: 'out' });
    await control(sim).post('/sessions/m3/ack', { messageId: sent.body.id, ack: 'READ' });
    const ack = await until(() => events('m3').find((e) => e.event === 'message.ack'));
    expect(ack.payload).toMatchObject({ id: sent.body.id, fromMe: true, ack: 3, ackName: 'READ', to: '15550004444@c.us' });
  });

  it('when the gateway sends text, then 201 with the message and a message.any echo with source api', async () => {
    await working('m4');
    const r = await waha(sim).post('/api/sendText', { session: 'm4', chatId: '15550005555@c.us', text: 'hi there' });
    expect(r.status).toBe(201);
    expect(r.body.id).toMatch(/^true_15550005555@c\.us_/);
    const echo = await until(() => events('m4').find((e) => e.event === 'message.any'));
    expect(echo.payload).toMatchObject({ id: r.body.id, fromMe: true, source: 'api', body: 'hi there' });
    const sent = (await control(sim).get('/sessions/m4/sent')).body;
    expect(sent[0]).toMatchObject({ kind: 'text', messageId: r.body.id });
  });

  it('when a send misses fields or the session is not WORKING, then 400 or 422', async () => {
    await working('m5');
    expect((await waha(sim).post('/api/sendText', { session: 'm5', chatId: '1555@c.us' })).status).toBe(400);
    expect((await waha(sim).post('/api/sendImage', { session: 'm5', chatId: '15550001234@c.us', file: {} })).status).toBe(400);
    await waha(sim).post('/api/sessions/m5/stop');
    expect((await waha(sim).post('/api/sendText', { session: 'm5', chatId: '15550001234@c.us', text: 'x' })).status).toBe(422);
  });

  it('when a contact sends media, then media.url serves the bytes with the API key only', async () => {
    await working('m6');
    const data = Buffer.from('fake-png-bytes').toString('base64');
    await control(sim).post('/sessions/m6/inbound', { from: '15550006666', body: 'pic', media: { mimetype: 'image/png', filename: 'a.png', data } });
    const msg = await until(() => events('m6').find((e) => e.event === 'message'));
    expect(msg.payload).toMatchObject({ hasMedia: true, media: { mimetype: 'image/png', filename: 'a.png' } });
    expect((await fetch(msg.payload.media.url)).status).toBe(401);
    const res = await fetch(msg.payload.media.url, { headers: { 'X-Api-Key': sim.apiKey } });
    expect(Buffer.from(await res.arrayBuffer()).toString()).toBe('fake-png-bytes');
  });

  it('when only some events are subscribed, then only those are posted', async () => {
    await createSession('m7', ['message']);
    await until(async () => (await statusOf('m7')) === 'SCAN_QR_CODE');
    await control(sim).post('/sessions/m7/scan');
    await control(sim).post('/sessions/m7/inbound', { from: '15550007777', body: 'x' });
    await until(() => events('m7').length >= 1);
    await sim.webhooksIdle();
    expect(events('m7').map((e) => e.event)).toEqual(['message']);
  });
});
