// Event subscriptions: the adapters ask for every event the gateway reads; an older engine that refuses
// a name gets a second request without it (logged), and creating the device never fails for it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSim } from 'engine-sim';
import { EngineRegistry } from '../../src/features/engines/engine-registry.js';
import { WAHA_CORE_EVENTS, WAHA_EVENTS } from '../../src/features/engines/waha/waha.adapter.js';
import { WUZAPI_EVENTS } from '../../src/features/engines/wuzapi/wuzapi.adapter.js';
import { HMAC_KEY, deviceId, startSim } from './sim-harness.js';

/**
 * An "older engine" in front of the simulator: refuses, in its own words, the subscription names it
 * does not know (WAHA: class-validator's 400 listing the allowed values; WuzAPI AddUser: 400 naming the
 * first unknown event), and passes everything else through.
 */
async function olderEngine(sim: RunningSim, wahaKnows: string[], wuzapiUnknown: string[]) {
  const asked: { path: string; body: any }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks);
      const body = raw.length ? JSON.parse(raw.toString()) : undefined;
      asked.push({ path: req.url!, body });
      const refuse = (json: unknown) => {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (req.method === 'POST' && req.url === '/api/sessions') {
        const unknown = (body.config.webhooks[0].events as string[]).filter((e) => !wahaKnows.includes(e));
        if (unknown.length)
          return refuse({ message: [`config.webhooks.0.each value in events must be one of the following values: ${wahaKnows.join(', ')}`], error: 'Bad Request', statusCode: 400 });
      }
      if (req.method === 'POST' && req.url === '/wuzapi/admin/users') {
        const bad = String(body.events).split(',').find((e) => wuzapiUnknown.includes(e));
        if (bad) return refuse({ code: 400, error: 'invalid event type', success: false, details: `invalid event: ${bad}` });
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k)) headers[k] = v;
      const r = await fetch(`${sim.url}${req.url}`, { method: req.method, headers, body: raw.length ? raw : undefined });
      res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await r.arrayBuffer()));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, asked, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('engine event subscriptions', () => {
  let sim: RunningSim;
  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(async () => {
    await sim?.close();
  });

  const logged: any[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
  const registry = (waha: string, wuzapi: string) =>
    new EngineRegistry({ wahaUrl: waha, wahaApiKey: sim.apiKey, wahaSessionMode: 'per-device', wuzapiUrl: wuzapi, wuzapiAdminToken: sim.adminToken, timeoutMs: 2000, retries: 0 }, logger);

  it('when the engines know every name, then WAHA and WuzAPI are subscribed to each event the gateway reads', async () => {
    const reg = registry(sim.wahaUrl, sim.wuzapiUrl);
    const w = { engine: 'waha' as const, session: reg.sessionNameFor('waha', deviceId()) };
    await reg.adapter('waha').createSession(w, { webhookUrl: 'http://127.0.0.1:9/w', hmacKey: HMAC_KEY });
    expect(sim.store.waha.get(w.session)!.config.webhooks[0]!.events).toEqual(WAHA_EVENTS);
    expect(WAHA_EVENTS).toEqual(expect.arrayContaining(['message.any', 'poll.vote', 'call.received', 'group.v2.participants']));

    const u = { engine: 'wuzapi' as const, session: reg.sessionNameFor('wuzapi', deviceId()) };
    const created = await reg.adapter('wuzapi').createSession(u, { webhookUrl: 'http://127.0.0.1:9/u', hmacKey: HMAC_KEY });
    expect(sim.store.wuzapi.get(created.engineRef!)!.events).toEqual(WUZAPI_EVENTS);
    expect(WUZAPI_EVENTS).toEqual(expect.arrayContaining(['Message', 'ReadReceipt', 'HistorySync', 'CallOffer', 'GroupInfo', 'JoinedGroup', 'UndecryptableMessage', 'Picture']));
  });

  it('when an older engine refuses names, then the session is created without them and the dropped names are logged', async () => {
    const older = await olderEngine(sim, WAHA_CORE_EVENTS, ['UndecryptableMessage', 'Picture']);
    try {
      const reg = registry(older.url, `${older.url}/wuzapi`);
      const w = { engine: 'waha' as const, session: reg.sessionNameFor('waha', deviceId()) };
      await reg.adapter('waha').createSession(w, { webhookUrl: 'http://127.0.0.1:9/w', hmacKey: HMAC_KEY });
      expect(sim.store.waha.get(w.session)!.config.webhooks[0]!.events).toEqual(WAHA_CORE_EVENTS);
      expect(older.asked.filter((a) => a.path === '/api/sessions')).toHaveLength(2);
      const wahaLog = logged.find((l) => l.session === w.session);
      expect(wahaLog.dropped).toEqual(WAHA_EVENTS.filter((e) => !WAHA_CORE_EVENTS.includes(e)));

      const u = { engine: 'wuzapi' as const, session: reg.sessionNameFor('wuzapi', deviceId()) };
      const created = await reg.adapter('wuzapi').createSession(u, { webhookUrl: 'http://127.0.0.1:9/u', hmacKey: HMAC_KEY });
      expect(sim.store.wuzapi.get(created.engineRef!)!.events).toEqual(WUZAPI_EVENTS.filter((e) => e !== 'UndecryptableMessage' && e !== 'Picture'));
      expect(older.asked.filter((a) => a.path === '/wuzapi/admin/users')).toHaveLength(3);
      expect(logged.find((l) => l.session === u.session).dropped).toEqual(['UndecryptableMessage', 'Picture']);
    } finally {
      await older.close();
    }
  });
});
