import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { Agent, createServer, request, type IncomingMessage } from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { startTestApp, TEST_SECRET, type TestApp } from './support/test-app.js';
import { client } from './support/http.js';
import { createTestDatabase } from './support/test-db.js';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { createDb } from '../src/platform/db/knex.js';
import { makeOrg, makeUser, PASSWORD } from './support/factories.js';

let t: TestApp;
let http: ReturnType<typeof client>;

beforeAll(async () => {
  t = await startTestApp({ BODY_LIMIT: '2kb', CORS_ORIGINS: 'https://app.example.test' });
  http = client(t.url);
});
afterAll(() => t.close());

/** A whole app on its own database whose log lines are kept, for tests that read the log. */
async function appLoggingTo() {
  const database = await createTestDatabase();
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _e, cb) { lines.push(...String(chunk).trim().split('\n')); cb(); } });
  const app = await startAppOn(database.url, pino({ level: 'info' }, sink));
  return { ...app, lines, close: async () => (await app.close(), await database.drop()) };
}

describe('errors', () => {
  it('when the JSON is malformed, then 400 invalid_json in the error shape', async () => {
    const r = await http.post('/api/auth/login', { raw: '{"email": "a@b.c", ' });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: { code: 'invalid_json', message: expect.any(String) } });
  });

  it('when the body exceeds the limit, then 413 payload_too_large', async () => {
    const r = await http.post('/api/auth/login', { body: { email: 'a@b.c', password: 'x'.repeat(5000) } });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('payload_too_large');
  });

  it('when a route does not exist, then 404 route_not_found, under /api and outside it', async () => {
    // Outside /api, a browser asking for HTML gets the web app's router instead; JSON clients get the 404.
    for (const p of ['/api/nope', '/nothing-here']) {
      const r = await http.get(p, { headers: { accept: 'application/json' } });
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('route_not_found');
    }
  });

  it('when the wrong method is used on a known path, then 404 in the error shape', async () => {
    const r = await http.del('/api/auth/login');
    expect(r.status).toBe(404);
    expect(r.body.error).toBeTruthy();
  });

  it('when something unexpected fails, then 500 without stack or SQL, and the log has it with the request id', async () => {
    const { db, lines, url, close } = await appLoggingTo();
    try {
      await db.raw('DROP TABLE refresh_tokens'); // the next login's SQL fails
      const org = await makeOrg(db);
      const u = await makeUser(db, org.id, 'viewer');
      const res = await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: u.email, password: PASSWORD }),
      });
      const text = await res.text();
      expect(res.status).toBe(500);
      expect(JSON.parse(text).error.code).toBe('internal');
      expect(text).not.toMatch(/refresh_tokens|relation|insert|at .*\.ts/i);
      const id = res.headers.get('x-request-id');
      expect(id).toBeTruthy();
      const logged = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'request failed');
      expect(logged.reqId).toBe(id);
      expect(JSON.stringify(logged.err)).toMatch(/refresh_tokens/);
    } finally {
      await close();
    }
  });
});

describe('request log', () => {
  it('when a request ends, then one line has its id, method, path, status and time; a handler logs with the same id', async () => {
    const { lines, url: base, close } = await appLoggingTo();
    try {
      const ok = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'trace-1' } });
      await ok.arrayBuffer();
      const bad = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      await bad.arrayBuffer();
      await new Promise((r) => setTimeout(r, 50));
      const logged = lines.map((l) => JSON.parse(l));
      expect(logged.find((l) => l.reqId === 'trace-1')).toMatchObject({ msg: 'request completed', req: { method: 'GET', url: '/healthz' }, res: { statusCode: 200 }, responseTime: expect.any(Number) });
      const badId = bad.headers.get('x-request-id');
      const about = logged.filter((l) => l.reqId === badId);
      // The error handler's line (through req.log) and the completion line, both with the request's id.
      expect(about.map((l) => l.msg)).toEqual([expect.stringMatching(/Invalid body/), 'request completed']);
      expect(about[1]).toMatchObject({ res: { statusCode: 400 } });
    } finally {
      await close();
    }
  });
});

describe('request ids, headers, CORS', () => {
  it('when a request has no id, then one is made and returned; a sane incoming one is kept', async () => {
    const a = await http.get('/healthz');
    expect(a.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const b = await http.get('/healthz', { headers: { 'x-request-id': 'edge-42' } });
    expect(b.headers.get('x-request-id')).toBe('edge-42');
    const c = await http.get('/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(c.headers.get('x-request-id')).not.toBe('bad id with spaces');
  });

  it('when a webhook is answered (served before Express), then it carries a request id the same way', async () => {
    const hook = (headers: Record<string, string>) => fetch(`${t.url}/webhooks/waha/${randomUUID()}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
    const a = await hook({});
    expect(a.status).toBe(404);
    expect(a.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect((await a.json()).error.code).toBe('unknown_device');
    expect((await hook({ 'x-request-id': 'engine-7' })).headers.get('x-request-id')).toBe('engine-7');
  });

  it('when any response goes out, then helmet headers are on it', async () => {
    const r = await http.get('/healthz');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(r.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(r.headers.get('x-powered-by')).toBeNull();
  });

  it('when an allowed origin asks, then CORS allows it; any other origin is not allowed', async () => {
    const ok = await fetch(`${t.url}/api/auth/login`, { method: 'OPTIONS', headers: { origin: 'https://app.example.test', 'access-control-request-method': 'POST' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.test');
    const no = await fetch(`${t.url}/api/auth/login`, { method: 'OPTIONS', headers: { origin: 'https://evil.test', 'access-control-request-method': 'POST' } });
    expect(no.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('health and metrics', () => {
  it('when the process is up and the schema current, then /healthz and /readyz are 200', async () => {
    expect((await http.get('/healthz')).status).toBe(200);
    expect((await http.get('/readyz')).body).toEqual({ status: 'ready' });
  });

  it('when the database is unreachable, then /readyz is 503 while /healthz stays 200, and it recovers', async () => {
    // A TCP relay in front of the real database that we can cut and restore.
    const target = new URL(t.config.DATABASE_URL!);
    const sockets = new Set<net.Socket>();
    let up = true;
    const relay = net.createServer((c) => {
      if (!up) return c.destroy();
      const s = net.connect(Number(target.port), target.hostname);
      sockets.add(c).add(s);
      c.pipe(s).pipe(c);
      const end = () => { c.destroy(); s.destroy(); };
      c.on('error', end).on('close', end);
      s.on('error', end).on('close', end);
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
    const via = new URL(target);
    via.port = String((relay.address() as AddressInfo).port);
    const app = await startAppOn(via.toString());
    try {
      const h = client(app.url);
      expect((await h.get('/readyz')).status).toBe(200);
      up = false;
      for (const s of sockets) s.destroy();
      const down = await h.get('/readyz');
      expect(down.status).toBe(503);
      expect(down.body.error.code).toBe('database_unreachable');
      expect((await h.get('/healthz')).status).toBe(200);
      up = true;
      let status = 0;
      for (let i = 0; i < 20 && status !== 200; i++) {
        status = (await h.get('/readyz')).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(200);
    } finally {
      await app.close();
      relay.close();
    }
  });

  it('when requests have been served, then /metrics has the duration histogram by route template, pool gauges and process metrics', async () => {
    await http.get('/api/users/00000000-0000-0000-0000-000000000000');
    await fetch(`${t.url}/webhooks/waha/${randomUUID()}`, { method: 'POST', body: '{}' });
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(text).toMatch(/http_request_duration_seconds_bucket\{[^}]*route="\/api\/users\/:id"[^}]*status="401"/);
    expect(text).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/webhooks\/:engine\/:deviceId",status="404"\} [1-9]/);
    expect(text).toContain('db_pool_connections_used');
    expect(text).toContain('db_pool_pending_acquires');
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });
});

describe('OpenAPI', () => {
  it('when the document is fetched, then it is OpenAPI 3.1 and lists every /api route the app serves', async () => {
    const doc = (await http.get('/api/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    const documented = new Set<string>();
    for (const [p, ops] of Object.entries(doc.paths as Record<string, object>)) for (const m of Object.keys(ops)) documented.add(`${m.toUpperCase()} ${p}`);
    const served = apiRoutes(t);
    expect(served.length).toBeGreaterThan(10);
    for (const r of served) expect(documented, `${r} is served but not documented`).toContain(r);
    expect(doc.paths['/api/users/{id}'].put.requestBody).toBeTruthy();
  });

  it('when /api/docs is opened, then Swagger UI answers', async () => {
    const r = await fetch(`${t.url}/api/docs/`);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('swagger-ui');
  });
});

describe('shutdown', () => {
  it('when the server closes while a kept-alive connection is busy and its client keeps sending, then the next answer ends the connection and close() finishes', async () => {
    const url = t.config.DATABASE_URL!;
    const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_SECRET, DATABASE_URL: url, DEMO_MODE: 'false' });
    const db = createDb(url, { min: 0, max: 2 });
    const { handler, attach } = createApp({ config, db, logger: pino({ level: 'silent' }) });
    const server = createServer(handler).listen(0, '127.0.0.1');
    await once(server, 'listening');
    attach(server);
    const { port } = server.address() as AddressInfo;
    // One connection, kept alive between deliveries, as an engine posts its webhooks.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const post = () => request({ agent, host: '127.0.0.1', port, method: 'POST', path: `/webhooks/waha/${randomUUID()}`, headers: { 'content-type': 'application/json', 'content-length': 2 } });
    const answer = async (req: ReturnType<typeof post>) => {
      const [res] = (await once(req, 'response')) as [IncomingMessage];
      res.resume();
      await once(res, 'end');
      return res;
    };
    try {
      const first = post();
      const busy = once(server, 'request');
      first.write('{');
      await busy; // the delivery is in flight when the server closes
      const closed = new Promise((r) => server.close(r));
      first.end('}');
      expect((await answer(first)).statusCode).toBe(404);
      const next = post();
      next.end('{}');
      const res = await answer(next);
      expect(res.statusCode).toBe(404);
      expect(res.headers.connection).toBe('close');
      await closed;
    } finally {
      agent.destroy();
      server.closeAllConnections();
      await db.destroy();
    }
  });
});

async function startAppOn(url: string, logger = pino({ level: 'silent' })) {
  const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_SECRET, DATABASE_URL: url, DEMO_MODE: 'false' });
  const db = createDb(url, { min: 0, max: 2 });
  const { app } = createApp({ config, db, logger });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    db,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      server.close();
      await db.destroy().catch(() => undefined);
    },
  };
}

/** Walks the Express router for every METHOD /api/... route, in OpenAPI path form. */
function apiRoutes(app: TestApp): string[] {
  const out: string[] = [];
  const walk = (stack: any[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const m of Object.keys(layer.route.methods)) {
          const p = String(layer.route.path);
          if (p.startsWith('/api/') && !p.startsWith('/api/docs') && p !== '/api/openapi.json') out.push(`${m.toUpperCase()} ${p.replace(/:(\w+)/g, '{$1}')}`);
        }
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app.app as any).router.stack);
  return out;
}
