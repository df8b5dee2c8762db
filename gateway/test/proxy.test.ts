import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineEnv, eventually, control, type EngineEnv } from './support/engine-env.js';
import { makeUser } from './support/factories.js';

let env: EngineEnv;
let mine: { id: string; engineSession: string };
let theirs: { id: string; engineSession: string };
let wuz: { id: string; engineSession: string };
let otherToken: string;
let viewerToken: string;

async function connected(token: string, name: string, engine: 'waha' | 'wuzapi' = 'waha') {
  const d = (await env.http.post('/api/devices', { token, body: { name, engine } })).body;
  await eventually(async () => (await env.http.get(`/api/devices/${d.id}/qr`, { token })).body.qr, 10_000, 'qr');
  await control(env.sim).post(`/sessions/${d.engineSession}/scan`, {});
  await eventually(async () => (await env.http.get(`/api/devices/${d.id}`, { token })).body.status === 'connected', 10_000, 'connected');
  return d as { id: string; engineSession: string };
}

beforeAll(async () => {
  env = await startEngineEnv();
  const other = await makeUser(env.t.db, env.org.id, 'editor');
  otherToken = await env.login(other.email);
  mine = await connected(env.owner.token, 'Mine');
  theirs = await connected(otherToken, 'Theirs');
  const viewer = await makeUser(env.t.db, env.org.id, 'viewer');
  viewerToken = await env.login(viewer.email);
  await env.http.post(`/api/devices/${mine.id}/members`, { token: env.owner.token, body: { userId: viewer.id, role: 'viewer' } });
  wuz = await connected(env.owner.token, 'Mine on WuzAPI', 'wuzapi');
});
afterAll(() => env.close());

const sentBy = async (session: string) => (await control(env.sim).get(`/sessions/${session}/sent`)).body as unknown[];

describe('passthrough proxy', () => {
  it('when the caller sends through the passthrough naming another session, then it goes out from their own session', async () => {
    const before = { mine: (await sentBy(mine.engineSession)).length, theirs: (await sentBy(theirs.engineSession)).length };
    const r = await env.http.post('/api/whatsapp/api/sendText', {
      token: env.owner.token,
      headers: { 'x-device-id': mine.id },
      body: { session: theirs.engineSession, chatId: '4915880000001@c.us', text: 'through the proxy' },
    });
    expect(r.status).toBe(201);
    expect(r.headers.get('x-api-key')).toBeNull();
    expect((await sentBy(mine.engineSession)).length).toBe(before.mine + 1);
    expect((await sentBy(theirs.engineSession)).length).toBe(before.theirs);
  });

  it('when the path names another session, then the caller’s own session answers', async () => {
    const r = await env.http.get(`/api/whatsapp/api/${theirs.engineSession}/chats?limit=5`, { token: env.owner.token, headers: { 'x-device-id': mine.id } });
    expect(r.status).toBe(200);
    const own = await fetch(`${env.sim.wahaUrl}/api/${mine.engineSession}/chats?limit=5`, { headers: { 'x-api-key': env.sim.apiKey } }).then((x) => x.json());
    expect(r.body).toEqual(own);
  });

  it('when X-Device-Id names someone else’s device, then 404 and the engine is not called', async () => {
    const r = await env.http.get('/api/whatsapp/api/sessions/x/me', { token: env.owner.token, headers: { 'x-device-id': theirs.id } });
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('no_device');
  });

  const admin: [string, string, string, string?][] = [
    ['GET', '/api/sessions', 'the session list'],
    ['POST', '/api/sessions', 'session creation'],
    ['GET', '/api/server/version', 'server info'],
    ['GET', '/api/keys', 'API keys'],
    ['POST', '/api/sessions/SESSION/logout', 'another session’s logout'],
    ['GET', '/admin/users', 'WuzAPI admin', 'wuzapi'],
  ];
  for (const [method, path, what, engine] of admin) {
    it(`when the caller reaches for ${what} (${method} ${path}), then 403 engine_admin_route`, async () => {
      const r = await (method === 'GET' ? env.http.get : env.http.post)(`/api/whatsapp${path.replace('SESSION', theirs.engineSession)}`, {
        token: env.owner.token,
        headers: { 'x-device-id': engine === 'wuzapi' ? wuz.id : mine.id },
        ...(method === 'POST' ? { body: {} } : {}),
      });
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('engine_admin_route');
    });
  }

  it('when a WuzAPI device is chosen, then its token is used and a token in the query cannot switch users', async () => {
    const r = await env.http.get('/api/whatsapp/session/status?token=someone-else', { token: env.owner.token, headers: { 'x-device-id': wuz.id } });
    expect(r.status).toBe(200);
    expect(JSON.stringify(r.body)).toMatch(/loggedIn|LoggedIn/);
  });

  it('when a viewer member uses the passthrough, then reading works and writing is 403', async () => {
    const get = await env.http.get(`/api/whatsapp/api/${mine.engineSession}/chats?limit=1`, { token: viewerToken });
    expect(get.status).toBe(200);
    const post = await env.http.post('/api/whatsapp/api/sendText', { token: viewerToken, body: { chatId: '4915880000001@c.us', text: 'nope' } });
    expect(post.status).toBe(403);
  });

  it('when nobody is signed in, then 401', async () => {
    expect((await env.http.get('/api/whatsapp/api/sessions')).status).toBe(401);
  });

  it('when the engine is down, then 503 engine_unreachable', async () => {
    await control(env.sim).post('/faults', { body: { down: true } });
    try {
      const r = await env.http.get(`/api/whatsapp/api/${mine.engineSession}/chats?limit=1`, { token: env.owner.token, headers: { 'x-device-id': mine.id } });
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('engine_unreachable');
    } finally {
      await control(env.sim).post('/faults', { body: { down: false } });
    }
  });
});
