import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/test-app.js';
import { client } from './support/http.js';
import { makeOrg, makeUser, PASSWORD } from './support/factories.js';
import { makeDevice } from './contacts/factories.js';

let t: TestApp;
let http: ReturnType<typeof client>;

beforeAll(async () => {
  t = await startTestApp({ LOGIN_RATE_MAX_PER_EMAIL: '1000', LOGIN_RATE_MAX_PER_IP: '1000', PHONE_DEFAULT_REGION: 'DE' });
  http = client(t.url);
});
afterAll(() => t.close());

const signIn = (email: string, password = PASSWORD) => http.post('/api/auth/login', { body: { email, password } });

async function org() {
  const o = await makeOrg(t.db);
  const admin = await makeUser(t.db, o.id, 'admin', { name: 'Ada Admin' });
  const editor = await makeUser(t.db, o.id, 'editor', { name: 'Eddie Editor' });
  const token = (await signIn(admin.email)).body.accessToken as string;
  const edToken = (await signIn(editor.email)).body.accessToken as string;
  return { o, admin, editor, token, edToken };
}

const audit = async (token: string, query = '') => {
  const r = await http.get(`/api/audit${query}`, { token });
  expect(r.status).toBe(200);
  return r.body.items as any[];
};

/** The unknown-email counter as /metrics shows it. */
const unknownEmailCount = async () => {
  const text = (await http.get('/metrics')).body as string;
  return Number(/^auth_login_failures_unknown_email_total (\d+)/m.exec(text)?.[1] ?? NaN);
};

describe('audit log', () => {
  it('when people sign in and fail to, then existing accounts get sign-in entries with names; unknown emails only count in the metric', async () => {
    const { o, admin, editor, token } = await org();
    const unknownBefore = await unknownEmailCount();
    expect((await signIn(editor.email, 'wrong-password-1')).status).toBe(401);
    expect((await signIn(`nobody-${o.id}@example.test`, 'wrong-password-1')).status).toBe(401);
    expect(await unknownEmailCount()).toBe(unknownBefore + 1);

    const items = await audit(token, '?action=auth.*');
    expect(items.map((a) => [a.action, a.actorName, a.targetName, a.details])).toEqual([
      ['auth.login_failed', null, 'Eddie Editor', { reason: 'wrong_password' }],
      ['auth.login', 'Eddie Editor', 'Eddie Editor', null],
      ['auth.login', 'Ada Admin', 'Ada Admin', null],
    ]);
    expect(items[0]).toMatchObject({ actorId: null, targetType: 'user', targetId: editor.id, requestId: expect.any(String) });
    expect(items[2]).toMatchObject({ actorId: admin.id, targetId: admin.id });
    // Nothing about the unknown email was written anywhere.
    expect(await t.db('audit_log').whereRaw(`details::text LIKE ?`, [`%nobody-${o.id}%`]).count('* as n').first()).toEqual({ n: 0 });
  });

  it('when things are changed, then the log names the actor and the target (contacts, tags, users, devices; a deleted tag by its recorded name)', async () => {
    const { o, admin, editor, token, edToken } = await org();
    const c = (await http.post('/api/contacts', { token: edToken, body: { name: 'Pat Doe', phone: '0151 70000001' } })).body;
    const tag = (await http.post('/api/tags', { token: edToken, body: { name: 'Gone soon' } })).body;
    await http.del(`/api/tags/${tag.id}`, { token: edToken });
    await http.put(`/api/users/${editor.id}`, { token, body: { name: 'Eddie Renamed' } });
    const dev = await makeDevice(t.db, o.id, admin.id, { name: 'Back office' });
    expect((await http.put(`/api/devices/${dev.id}`, { token, body: { name: 'Front desk' } })).status).toBe(200);
    const items = await audit(token, '?action=' + encodeURIComponent('contact.create'));
    expect(items.map((a) => [a.actorName, a.targetName, a.targetId])).toEqual([['Eddie Renamed', 'Pat Doe', c.id]]);
    const all = await audit(token);
    const byAction = (action: string) => all.find((a) => a.action === action);
    expect(byAction('tag.delete')).toMatchObject({ actorName: 'Eddie Renamed', targetName: 'Gone soon' });
    expect(byAction('user.update')).toMatchObject({ actorName: 'Ada Admin', actorId: admin.id, targetName: 'Eddie Renamed' });
    expect(byAction('device.rename')).toMatchObject({ actorName: 'Ada Admin', targetName: 'Front desk', targetId: dev.id });
  });

  it('when filtering by actor, action family and date, then only matching entries come, newest first, across cursor pages', async () => {
    const { admin, editor, token, edToken } = await org();
    for (let i = 0; i < 3; i++) await http.post('/api/contacts', { token: edToken, body: { name: `C${i}`, phone: `0151 7100000${i}` } });
    await http.post('/api/tags', { token, body: { name: 'By admin' } });
    const byEditor = await audit(token, `?actorId=${editor.id}`);
    expect(byEditor.map((a) => a.action)).toEqual(['contact.create', 'contact.create', 'contact.create', 'auth.login']);
    expect((await audit(token, `?actorId=${admin.id}&action=tag.*`)).map((a) => a.targetName)).toEqual(['By admin']);
    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const r: any = await http.get(`/api/audit?limit=2&action=contact.*&actorId=${editor.id}${cursor ? `&cursor=${cursor}` : ''}`, { token });
      pages.push(...r.body.items.map((a: any) => a.targetName));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(pages).toEqual(['C2', 'C1', 'C0']);

    // Push one entry into the past: a date window finds it alone.
    const first = byEditor[3];
    await t.db('audit_log').where({ id: first.id }).update({ created_at: new Date('2026-01-15T12:00:00Z') });
    expect((await audit(token, `?actorId=${editor.id}&from=2026-01-15T00:00:00Z&to=2026-01-16T00:00:00Z`)).map((a) => a.id)).toEqual([first.id]);
    expect((await audit(token, `?actorId=${editor.id}&from=2026-01-16T00:00:00Z`)).map((a) => a.action)).toEqual(['contact.create', 'contact.create', 'contact.create']);
  });

  it('when filters are malformed or the caller is not an admin, then 400 naming the field, or 403', async () => {
    const { token, edToken } = await org();
    for (const [q, field] of [
      ['actorId=nope', 'actorId'],
      ['from=yesterday', 'from'],
      ['from=2026-02-01&to=2026-01-01', 'to'],
      ['action=DROP%20TABLE', 'action'],
    ]) {
      const r = await http.get(`/api/audit?${q}`, { token });
      expect(r.status, q).toBe(400);
      expect(r.body.error.details[0].field, q).toBe(field);
    }
    const r = await http.get('/api/audit', { token: edToken });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('forbidden');
  });
});
