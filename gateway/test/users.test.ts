import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/test-app.js';
import { client } from './support/http.js';
import { makeOrg, makeUser, PASSWORD } from './support/factories.js';

let t: TestApp;
let http: ReturnType<typeof client>;
const tokens: Record<string, string | undefined> = {};
let org: { id: string };
let target: { id: string };

async function login(email: string) {
  const r = await http.post('/api/auth/login', { body: { email, password: PASSWORD } });
  expect(r.status).toBe(200);
  return r.body.accessToken as string;
}

beforeAll(async () => {
  t = await startTestApp({ LOGIN_RATE_MAX_PER_EMAIL: '1000', LOGIN_RATE_MAX_PER_IP: '1000' });
  http = client(t.url);
  org = await makeOrg(t.db);
  const other = await makeOrg(t.db);
  const people = {
    admin: await makeUser(t.db, org.id, 'admin'),
    editor: await makeUser(t.db, org.id, 'editor'),
    viewer: await makeUser(t.db, org.id, 'viewer'),
    otherAdmin: await makeUser(t.db, other.id, 'admin'),
  };
  target = await makeUser(t.db, org.id, 'viewer', { name: 'Target Person' });
  for (const [k, u] of Object.entries(people)) tokens[k] = await login(u.email);
  tokens.anonymous = undefined;
});
afterAll(() => t.close());

type Caller = 'admin' | 'editor' | 'viewer' | 'anonymous' | 'otherAdmin';
const callers: Caller[] = ['admin', 'editor', 'viewer', 'anonymous', 'otherAdmin'];

describe('users role matrix', () => {
  // Each route with the status expected per caller. An admin of another org gets 404: the user is not theirs to see.
  const routes: { name: string; call: (tok?: string) => Promise<{ status: number }>; expect: Record<Caller, number> }[] = [
    {
      name: 'POST /api/users',
      call: (tok) => http.post('/api/users', { token: tok, body: { email: `n${Math.random()}@x.test`, name: 'New', role: 'viewer', password: 'long-enough-pw' } }),
      expect: { admin: 201, editor: 403, viewer: 403, anonymous: 401, otherAdmin: 201 },
    },
    { name: 'GET /api/users', call: (tok) => http.get('/api/users', { token: tok }), expect: { admin: 200, editor: 403, viewer: 403, anonymous: 401, otherAdmin: 200 } },
    { name: 'GET /api/users/:id', call: (tok) => http.get(`/api/users/${target.id}`, { token: tok }), expect: { admin: 200, editor: 403, viewer: 403, anonymous: 401, otherAdmin: 404 } },
    {
      name: 'PUT /api/users/:id',
      call: (tok) => http.put(`/api/users/${target.id}`, { token: tok, body: { name: 'Renamed' } }),
      expect: { admin: 200, editor: 403, viewer: 403, anonymous: 401, otherAdmin: 404 },
    },
    {
      name: 'PUT /api/users/:id/password',
      call: (tok) => http.put(`/api/users/${target.id}/password`, { token: tok, body: { newPassword: 'another-long-pw' } }),
      expect: { admin: 204, editor: 403, viewer: 403, anonymous: 401, otherAdmin: 404 },
    },
    { name: 'GET /api/audit', call: (tok) => http.get('/api/audit', { token: tok }), expect: { admin: 200, editor: 403, viewer: 403, anonymous: 401, otherAdmin: 200 } },
  ];
  for (const route of routes) {
    for (const caller of callers) {
      it(`when ${caller} calls ${route.name}, then ${route.expect[caller]}`, async () => {
        expect((await route.call(tokens[caller])).status).toBe(route.expect[caller]);
      });
    }
  }
  // Delete last: it removes the target.
  for (const caller of ['editor', 'viewer', 'anonymous', 'otherAdmin', 'admin'] as Caller[]) {
    const expected = { admin: 204, editor: 403, viewer: 403, anonymous: 401, otherAdmin: 404 }[caller];
    it(`when ${caller} calls DELETE /api/users/:id, then ${expected}`, async () => {
      expect((await http.del(`/api/users/${target.id}`, { token: tokens[caller] })).status).toBe(expected);
    });
  }
});

describe('users', () => {
  it('when listing with filters and small pages, then every match comes once, newest first, and others are left out', async () => {
    const o = await makeOrg(t.db);
    const admin = await makeUser(t.db, o.id, 'admin');
    const tok = await login(admin.email);
    for (let i = 0; i < 5; i++) {
      const r = await http.post('/api/users', { token: tok, body: { email: `zed${i}@list.test`, name: `Zed ${i}`, role: 'editor', password: 'long-enough-pw' } });
      expect(r.status).toBe(201);
    }
    await http.post('/api/users', { token: tok, body: { email: 'vee@list.test', name: 'Vee', role: 'viewer', password: 'long-enough-pw' } });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await http.get(`/api/users?role=editor&q=zed&limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: tok });
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((u: { name: string }) => u.name));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['Zed 4', 'Zed 3', 'Zed 2', 'Zed 1', 'Zed 0']);
    const byEmail = await http.get('/api/users?q=VEE@LIST', { token: tok });
    expect(byEmail.body.items.map((u: { name: string }) => u.name)).toEqual(['Vee']);
  });

  it('when a cursor is not one the list gave out, then 400 naming cursor', async () => {
    const r = await http.get('/api/users?cursor=garbage', { token: tokens.admin });
    expect(r.status).toBe(400);
    expect(r.body.error.details[0].field).toBe('cursor');
  });

  it('when filters are invalid, then 400 names them', async () => {
    const r = await http.get('/api/users?role=king&limit=0', { token: tokens.admin });
    expect(r.status).toBe(400);
    expect(r.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['limit', 'role']);
  });

  it('when an admin changes role and name, then it is audited with actor, target and request id', async () => {
    const u = await makeUser(t.db, org.id, 'viewer');
    const r = await http.put(`/api/users/${u.id}`, { token: tokens.admin, body: { role: 'editor', name: 'Promoted' }, headers: { 'x-request-id': 'req-abc-123' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ role: 'editor', name: 'Promoted' });
    const row = await t.db('audit_log').where({ action: 'user.update', target_id: u.id }).first();
    expect(row.request_id).toBe('req-abc-123');
    expect(row.details.role).toEqual({ from: 'viewer', to: 'editor' });
    expect(row.actor_id).toBeTruthy();
  });

  it('when the last admin would be demoted, then 409 and nothing changes', async () => {
    const o = await makeOrg(t.db);
    const admin = await makeUser(t.db, o.id, 'admin');
    const tok = await login(admin.email);
    const r = await http.put(`/api/users/${admin.id}`, { token: tok, body: { role: 'viewer' } });
    expect(r.status).toBe(409);
    expect((await t.db('users').where({ id: admin.id }).first()).role).toBe('admin');
  });

  it('when an admin deletes themself, then 409', async () => {
    const me = await http.get('/api/auth/me', { token: tokens.admin });
    expect((await http.del(`/api/users/${me.body.id}`, { token: tokens.admin })).status).toBe(409);
  });

  it('when a user changes their own password, then the old one is required and the new one logs in', async () => {
    const u = await makeUser(t.db, org.id, 'viewer');
    const tok = await login(u.email);
    const noOld = await http.put(`/api/users/${u.id}/password`, { token: tok, body: { newPassword: 'brand-new-password' } });
    expect(noOld.status).toBe(400);
    expect(noOld.body.error.details[0].field).toBe('oldPassword');
    const wrongOld = await http.put(`/api/users/${u.id}/password`, { token: tok, body: { oldPassword: 'not-it-at-all', newPassword: 'brand-new-password' } });
    expect(wrongOld.status).toBe(403);
    const ok = await http.put(`/api/users/${u.id}/password`, { token: tok, body: { oldPassword: PASSWORD, newPassword: 'brand-new-password' } });
    expect(ok.status).toBe(204);
    expect((await http.post('/api/auth/login', { body: { email: u.email, password: PASSWORD } })).status).toBe(401);
    expect((await http.post('/api/auth/login', { body: { email: u.email, password: 'brand-new-password' } })).status).toBe(200);
  });

  it('when the new password is shorter than 10, then 400 names newPassword', async () => {
    const me = await http.get('/api/auth/me', { token: tokens.viewer });
    const r = await http.put(`/api/users/${me.body.id}/password`, { token: tokens.viewer, body: { oldPassword: PASSWORD, newPassword: 'short' } });
    expect(r.status).toBe(400);
    expect(r.body.error.details[0].field).toBe('newPassword');
  });

  it('when the id is not a uuid or unknown fields are sent, then 400', async () => {
    expect((await http.get('/api/users/not-a-uuid', { token: tokens.admin })).status).toBe(400);
    const r = await http.post('/api/users', { token: tokens.admin, body: { email: 'q@x.test', name: 'Q', role: 'viewer', password: 'long-enough-pw', isRoot: true } });
    expect(r.status).toBe(400);
  });
});

describe('colleague directory', () => {
  it('when any signed-in person asks for colleagues, then they get the active people of their own org, name and email only', async () => {
    for (const who of ['viewer', 'editor', 'admin'] as const) {
      const r = await http.get('/api/users/directory?limit=500', { token: tokens[who] });
      expect(r.status).toBe(200);
      expect(r.body.items.length).toBeGreaterThan(2);
      for (const u of r.body.items) expect(Object.keys(u).sort()).toEqual(['email', 'id', 'name', 'role']);
      const ids = new Set(r.body.items.map((u: { id: string }) => u.id));
      const others = await t.db('users').whereNot({ org_id: org.id }).pluck('id');
      expect(others.some((id: string) => ids.has(id))).toBe(false);
    }
    expect((await http.get('/api/users/directory')).status).toBe(401);
    expect((await http.get('/api/users/directory?limit=0', { token: tokens.viewer })).status).toBe(400);
  });
});
