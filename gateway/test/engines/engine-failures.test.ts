// Engine failures as the API reports them (503 unreachable, 504 timeout, 502 rejected with the engine's
// words), and retries only for idempotent calls — counted on the wire by a recording proxy.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSim } from 'engine-sim';
import { AppError } from '../../src/platform/errors.js';
import type { EngineAdapter, EngineKind, EngineSession } from '../../src/features/engines/engine.types.js';
import { HMAC_KEY, control, registryFor, sleep, startRecorder, startSim, until, type Recorder } from './sim-harness.js';

async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error('expected the call to fail');
}

describe.each(['waha', 'wuzapi'] as const)('%s adapter failures', (kind: EngineKind) => {
  let sim: RunningSim;
  let rec: Recorder;
  let s: EngineSession;
  const statusPath = kind === 'waha' ? '/api/sessions/' : '/wuzapi/session/status';
  const sendPath = kind === 'waha' ? '/api/sendText' : '/wuzapi/chat/send/text';
  const adapter = (timeoutMs = 2000): EngineAdapter => registryFor(sim, { timeoutMs, retries: 2 }, { waha: rec.url, wuzapi: `${rec.url}/wuzapi` }).adapter(kind);

  beforeAll(async () => {
    sim = await startSim();
    rec = await startRecorder(sim.url);
    const base: EngineSession = { engine: kind, session: `dev_fail_${kind}` };
    const created = await adapter().createSession(base, { webhookUrl: 'http://127.0.0.1:9/unused', hmacKey: HMAC_KEY });
    s = { ...base, token: created.token ?? null, engineRef: created.engineRef ?? null };
    await until(async () => (await adapter().getQr(s)).qr, 3000);
    await control(sim).post(`/sessions/${s.session}/scan`, { phone: '15556660000' });
    rec.requests.length = 0;
  });
  afterEach(() => {
    sim.faults({ down: false, latencyMs: 0 });
    rec.requests.length = 0;
  });
  afterAll(async () => {
    await rec?.close();
    await sim?.close();
  });

  it('when the engine is down, then calls fail with 503 engine_unreachable; a GET is retried, a send is not', async () => {
    sim.faults({ down: true });
    const e = await failure(adapter().getState(s));
    expect(e).toMatchObject({ code: 'engine_unreachable', status: 503 });
    expect(rec.count('GET', statusPath)).toBe(3);
    const send = await failure(adapter().sendText(s, { chatJid: '15556660001@s.whatsapp.net', text: 'while down' }));
    expect(send).toMatchObject({ code: 'engine_unreachable', status: 503 });
    expect(rec.count('POST', sendPath)).toBe(1);
  });

  it('when the engine is slower than the timeout, then calls fail with 504 engine_timeout and a send reaches the engine exactly once', async () => {
    sim.faults({ latencyMs: 250 });
    const e = await failure(adapter(60).getState(s));
    expect(e).toMatchObject({ code: 'engine_timeout', status: 504 });
    expect(e.message).toContain('60 ms');
    expect(rec.count('GET', statusPath)).toBe(3);
    const send = await failure(adapter(60).sendText(s, { chatJid: '15556660001@s.whatsapp.net', text: 'slow send' }));
    expect(send).toMatchObject({ code: 'engine_timeout', status: 504 });
    await sleep(600); // the engine finishes the (single) send after its latency
    const sent = ((await control(sim).get(`/sessions/${s.session}/sent`)) as any[]).filter((x) => JSON.stringify(x.request).includes('slow send'));
    expect(sent).toHaveLength(1);
    expect(rec.count('POST', sendPath)).toBe(1);
  });

  it('when the engine refuses a call, then it fails with 502 engine_rejected carrying the engine\'s own message, and a 4xx GET is not retried', async () => {
    const reg = registryFor(sim, { wahaApiKey: 'wrong', wuzapiAdminToken: 'wrong' }, { waha: rec.url, wuzapi: `${rec.url}/wuzapi` });
    const e = await failure(reg.adapter(kind).createSession({ engine: kind, session: 'dev_refused' }, { webhookUrl: 'http://x', hmacKey: HMAC_KEY }));
    expect(e).toMatchObject({ code: 'engine_rejected', status: 502, details: { engineStatus: 401, engineMessage: kind === 'waha' ? 'Unauthorized' : 'unauthorized' } });
    expect(e.message).toContain('(401)');

    rec.requests.length = 0;
    const other: EngineSession = { ...s, session: 'dev_missing', token: 'not-a-token' };
    const list = await failure(adapter().listChats(other, { offset: 0, limit: 10 }));
    expect(list).toMatchObject({ code: 'engine_rejected', status: 502 });
    expect((list.details as any).engineMessage).toBe(kind === 'waha' ? 'Session "dev_missing" does not exist' : 'unauthorized');
    expect(rec.requests).toHaveLength(1);
  });

  it('when nothing listens at the engine URL, then calls fail with 503 engine_unreachable', async () => {
    const reg = registryFor(sim, { retries: 1 }, { waha: 'http://127.0.0.1:9', wuzapi: 'http://127.0.0.1:9/wuzapi' });
    const e = await failure(reg.adapter(kind).getState(s));
    expect(e).toMatchObject({ code: 'engine_unreachable', status: 503 });
    expect(e.message).toMatch(/ECONNREFUSED/);
  });
});

describe('engine media downloads', () => {
  // A plain HTTP server standing in for an engine's file route: chunked (no length) or with a length.
  let server: import('node:http').Server;
  let base = '';
  beforeAll(async () => {
    const { createServer } = await import('node:http');
    server = createServer((req, res) => {
      const size = Number(new URL(req.url!, 'http://x').searchParams.get('size'));
      const body = Buffer.alloc(size, 7);
      if (req.url!.startsWith('/chunked')) {
        res.writeHead(200, { 'content-type': 'image/jpeg; charset=binary' });
        for (let i = 0; i < size; i += 1024) res.write(body.subarray(i, i + 1024));
        res.end();
      } else res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': size }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it.each(['/sized', '/chunked'])('when a file from %s is within the limit, then its bytes and type come back; over it, 502 with 413 and no retry', async (route) => {
    const { EngineHttp } = await import('../../src/features/engines/engine-http.js');
    const http = new EngineHttp({ engine: 'WAHA', timeoutMs: 2000, retries: 2 });
    const ok = await http.download({ baseUrl: base, path: `${route}?size=5000` }, 5000);
    expect(ok.data.length).toBe(5000);
    expect(ok.contentType).toBe('image/jpeg');
    const e = await failure(http.download({ baseUrl: base, path: `${route}?size=5001` }, 5000));
    expect(e).toMatchObject({ code: 'engine_rejected', status: 502 });
    expect(e.message).toMatch(/larger than 5000 bytes/);
  });
});
