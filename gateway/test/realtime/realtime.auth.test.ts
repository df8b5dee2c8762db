import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { startTestApp, TEST_SECRET, type TestApp } from '../support/test-app.js';
import { makeOrg, makeUser, PASSWORD } from '../support/factories.js';
import { client } from '../support/http.js';
import { openSocket, wsUrl } from './ws.support.js';

let t: TestApp;
let token: string;
let userId: string;
let orgId: string;

beforeAll(async () => {
  t = await startTestApp({ WS_AUTH_TIMEOUT_MS: '300' });
  const org = await makeOrg(t.db);
  const u = await makeUser(t.db, org.id, 'viewer');
  userId = u.id;
  orgId = org.id;
  token = (await client(t.url).post('/api/auth/login', { body: { email: u.email, password: PASSWORD } })).body.accessToken;
});
afterAll(() => t.close());

describe('/ws authentication', () => {
  it('when a browser offers the subprotocols bearer and its token, then the socket is answered with bearer and authenticated', async () => {
    const s = await openSocket(t.url, token, 'protocol');
    expect(s.ws.protocol).toBe('bearer');
    const ready = await s.waitFor((f) => f.type === 'ready');
    expect(ready.data.userId).toBe(userId);
    expect(typeof ready.data.seq).toBe('number');
    await s.close();
  });

  it('when a client sends {"type":"auth"} as its first message, then it is authenticated', async () => {
    const s = await openSocket(t.url, token, 'message');
    expect((await s.waitFor((f) => f.type === 'ready')).data.userId).toBe(userId);
    s.send({ type: 'ping' });
    await s.waitFor((f) => f.type === 'pong');
    await s.close();
  });

  it('when nothing authenticates the socket within the deadline, then it is closed with 4401', async () => {
    const s = await openSocket(t.url, null, 'message');
    const started = Date.now();
    const { code } = await s.closed;
    expect(code).toBe(4401);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(s.frames).toEqual([]);
  });

  it('when the token is not valid, then the socket is closed with 4401, by subprotocol or by message', async () => {
    const forged = token.slice(0, -4) + 'AAAA';
    for (const how of ['protocol', 'message'] as const) {
      const s = await openSocket(t.url, forged, how);
      expect((await s.closed).code).toBe(4401);
      expect(s.frames.filter((f) => f.type === 'ready')).toEqual([]);
    }
  });

  it('when the first message is anything but auth, then the socket is closed with 4401', async () => {
    const s = await openSocket(t.url, null, 'message');
    s.send({ type: 'resume', since: 0 });
    expect((await s.closed).code).toBe(4401);
  });

  it('when the token that opened a socket expires, then the socket is closed with 4401 (the client refreshes and resumes); a socket with a valid token stays open', async () => {
    const shortLived = jwt.sign({ org: orgId, role: 'viewer' }, TEST_SECRET, {
      algorithm: 'HS256', subject: userId, issuer: t.config.JWT_ISSUER, audience: t.config.JWT_AUDIENCE, expiresIn: 2,
    });
    const [expiring, lasting] = [await openSocket(t.url, shortLived), await openSocket(t.url, token, 'message')];
    await expiring.waitFor((f) => f.type === 'ready');
    await lasting.waitFor((f) => f.type === 'ready');
    const { code, reason } = await expiring.closed;
    expect(code).toBe(4401);
    expect(reason).toBe('Token expired');
    expect(lasting.isClosed()).toBe(false);
    lasting.send({ type: 'ping' });
    await lasting.waitFor((f) => f.type === 'pong');
    await lasting.close();
  });

  it('when the token is only in the query string, then it is ignored and the socket closes with 4401', async () => {
    const ws = new WebSocket(`${wsUrl(t.url)}?token=${token}&access_token=${token}`);
    const code = await new Promise<number>((r) => ws.on('close', (c) => r(c)));
    expect(code).toBe(4401);
  });

  it('when GET /ws is called without an upgrade, then 426 in the error shape, and /ws is in the OpenAPI document', async () => {
    const r = await client(t.url).get('/ws');
    expect(r.status).toBe(426);
    expect(r.body.error.code).toBe('upgrade_required');
    const doc = (await client(t.url).get('/api/openapi.json')).body;
    expect(doc.paths['/ws'].get.description).toContain('resume');
  });

  it('when another path asks for an upgrade, then it is refused', async () => {
    const ws = new WebSocket(t.url.replace('http', 'ws') + '/api/elsewhere', ['bearer', token]);
    const status = await new Promise<number>((r) => {
      ws.on('unexpected-response', (_q, res) => r(res.statusCode ?? 0));
      ws.on('error', () => r(-1));
    });
    expect(status).toBe(404);
  });

  it('when sockets are open, then /metrics reports them', async () => {
    const s = await openSocket(t.url, token);
    await s.waitFor((f) => f.type === 'ready');
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(text).toMatch(/ws_sockets_open [1-9]/);
    await s.close();
  });
});
