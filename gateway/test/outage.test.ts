import { createHmac, randomUUID } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase } from './support/test-db.js';
import { makeOrg, makeUser } from './support/factories.js';
import { eventually } from './support/engine-env.js';

/**
 * A TCP hop between the app and PostgreSQL that a test can cut (every connection dropped, new ones
 * refused) and restore: a database outage as the app sees it.
 */
async function cuttableProxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let up = true;
  const server = net.createServer((client) => {
    if (!up) return client.destroy();
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      up = false;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      up = true;
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

let database: { url: string; drop(): Promise<void> };
let proxy: Awaited<ReturnType<typeof cuttableProxy>>;
let t: TestApp;
/** Every line the app's logger wrote. */
const logLines: string[] = [];
let device: { id: string; secret: string };

beforeAll(async () => {
  database = await createTestDatabase();
  const u = new URL(database.url);
  proxy = await cuttableProxy({ host: u.hostname, port: Number(u.port) });
  u.port = String(proxy.port);
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  // An engine is configured (deliveries need one) but never called: no background work here.
  t = await startTestApp({ LOG_LEVEL: 'info', WAHA_URL: 'http://127.0.0.1:9', WAHA_API_KEY: 'k' }, { databaseUrl: u.toString(), logger: pino({ level: 'info' }, sink), background: false });
  const org = await makeOrg(t.db);
  const owner = await makeUser(t.db, org.id, 'editor');
  const secret = 'outage-secret';
  const [row] = await t.db('devices')
    .insert({ org_id: org.id, owner_id: owner.id, name: 'Phone', engine: 'waha', engine_session: `outage-${randomUUID()}`, webhook_secret: secret, status: 'connected' })
    .returning('id');
  device = { id: row.id, secret };
});
afterAll(async () => {
  proxy.restore();
  await t.close();
  await proxy.close();
  await database.drop();
});

function delivery(text: string) {
  const body = JSON.stringify({
    id: `evt_${randomUUID()}`,
    timestamp: Date.now(),
    event: 'message',
    session: 'x',
    metadata: {},
    me: null,
    payload: { id: `false_4915550000001@c.us_${randomUUID().replace(/-/g, '').slice(0, 20).toUpperCase()}`, timestamp: Math.floor(Date.now() / 1000), from: '4915550000001@c.us', fromMe: false, body: text },
    engine: 'NOWEB',
    environment: {},
  });
  return () =>
    fetch(`${t.url}/webhooks/waha/${device.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-webhook-hmac': createHmac('sha512', device.secret).update(body).digest('hex'), 'x-webhook-hmac-algorithm': 'sha512' },
      body,
    });
}

describe('a database outage', () => {
  it('when the database is unreachable, then a webhook is answered 503 with Retry-After (the engine delivers again), and stored once it is back', async () => {
    const before = await delivery('before the outage')();
    expect(before.status, await before.clone().text()).toBe(200);
    const during = delivery('during the outage');
    proxy.cut();
    try {
      const r = await during();
      expect(r.status).toBe(503);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await r.json()).toMatchObject({ error: { code: 'database_unavailable', message: expect.any(String) } });
      // The API too.
      const api = await fetch(`${t.url}/readyz`);
      expect(api.status).toBe(503);
    } finally {
      proxy.restore();
    }
    // The engine's retry, once the database is back.
    const again = await eventually(async () => {
      const r = await during();
      return r.status === 200 ? r : undefined;
    }, 15_000, 'the retried delivery stored');
    expect(again.status).toBe(200);
    expect(await t.db('messages').where({ device_id: device.id, body: 'during the outage' }).count<{ c: number }[]>('* as c')).toEqual([{ c: 1 }]);
  });

  it('when pooled connections break, then every line the app logs about it is JSON (through pino), none plain text', async () => {
    const stray: string[] = [];
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    const from = logLines.length;
    // Anything written outside the app's logger (console, libraries) while the pool breaks.
    process.stdout.write = ((c: string | Uint8Array, ...a: never[]) => (stray.push(String(c)), out(c, ...a))) as typeof process.stdout.write;
    process.stderr.write = ((c: string | Uint8Array, ...a: never[]) => (stray.push(String(c)), err(c, ...a))) as typeof process.stderr.write;
    const consoles = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => [m, console[m]] as const);
    for (const [m, f] of consoles) console[m] = (...a: unknown[]) => (stray.push(a.map(String).join(' ')), f(...a));
    try {
      // Idle connections in the pool, then the database goes away under them.
      await Promise.all([1, 2, 3].map(() => t.db.raw('select pg_sleep(0.05)')));
      proxy.cut();
      await new Promise((r) => setTimeout(r, 300));
      await t.db.raw('select 1').catch(() => undefined);
      proxy.restore();
      await eventually(async () => (await t.db.raw('select 1').then(() => true, () => false)) || undefined, 10_000, 'the pool recovers');
    } finally {
      process.stdout.write = out;
      process.stderr.write = err;
      for (const [m, f] of consoles) console[m] = f;
    }
    expect(stray).toEqual([]);
    const lines = logLines.slice(from);
    for (const l of lines) expect(() => JSON.parse(l), l).not.toThrow();
    expect(lines.map((l) => JSON.parse(l)).some((l) => /database|pool|connection/i.test(`${l.msg} ${l.err?.message ?? ''}`))).toBe(true);
  });
});
