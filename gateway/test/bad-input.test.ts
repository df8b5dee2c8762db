import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineEnv, type EngineEnv } from './support/engine-env.js';
import { makeUser } from './support/factories.js';

// Bad input is a 4xx in the error shape, named, and never reaches a statement; a change and its audit
// row commit together or not at all.
let env: EngineEnv;
let admin: string;
/** Every statement the app ran (text and bindings), to show that refused input never reached one. */
const statements: string[] = [];
beforeAll(async () => {
  env = await startEngineEnv();
  const a = await makeUser(env.t.db, env.org.id, 'admin');
  admin = await env.login(a.email);
  env.t.db.on('query', (q: { sql: string; bindings?: unknown[] }) => statements.push(JSON.stringify([q.sql, q.bindings ?? []])));
});
afterAll(() => env.close());

const BAD = /\\u0000|\\ud[89ab][0-9a-f]{2}|\\ud[c-f][0-9a-f]{2}/i;
const errorShape = { error: { code: expect.any(String), message: expect.any(String) } };

async function raw(method: string, path: string, opts: { token?: string; body?: string | FormData; type?: string } = {}) {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.type) headers['content-type'] = opts.type;
  const r = await fetch(env.t.url + path, { method, headers, body: opts.body });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

/** Runs `work`, then says whether any statement it caused carried a NUL or a lone surrogate. */
async function noBadStatement<T>(work: () => Promise<T>): Promise<T> {
  const from = statements.length;
  const r = await work();
  const bad = statements.slice(from).filter((s) => BAD.test(s));
  expect(bad).toEqual([]);
  return r;
}

describe('malformed percent-escapes', () => {
  it('when a path or query has a bad percent-escape, then 400 invalid_escape in the error shape', async () => {
    for (const [path, where] of [
      ['/api/devices/%ZZ', 'path'],
      ['/api/devices/%ZZ/qr', 'path'],
      ['/api/users/%E0%A4', 'path'],
      ['/api/chats?q=%ZZ', 'query'],
      ['/api/contacts?q=%', 'query'],
    ] as const) {
      const r = await raw('GET', path, { token: admin });
      expect(r.status, path).toBe(400);
      expect(r.body).toMatchObject(errorShape);
      expect(r.body.error.code).toBe('invalid_escape');
      expect(r.body.error.details[0].in).toBe(where);
    }
    // Anonymous too: refused before authentication.
    expect((await raw('GET', '/api/devices/%ZZ')).status).toBe(400);
  });
});

describe('NUL and lone surrogates', () => {
  it('when a query string holds a NUL, then 400 naming the parameter, and no statement ran with it', async () => {
    for (const path of ['/api/chats?q=%00', '/api/users?q=a%00b', '/api/audit?action=x%00', '/api/contacts?q=%00', '/api/search?q=hi%00']) {
      const r = await noBadStatement(() => raw('GET', path, { token: admin }));
      expect(r.status, path).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'validation_failed' });
      expect(r.body.error.details[0]).toMatchObject({ in: 'query', field: path.includes('action') ? 'action' : 'q' });
      expect(r.body.error.message).toMatch(/NUL/);
    }
  });

  it('when a path parameter holds a NUL, then 400 naming the path part', async () => {
    const r = await noBadStatement(() => raw('GET', '/api/contacts/%00', { token: admin }));
    expect(r.status).toBe(400);
    expect(r.body.error.details[0]).toMatchObject({ in: 'path' });
  });

  it('when a JSON body holds a NUL or a lone surrogate (value or key, at any depth), then 400 naming the field, and nothing is written', async () => {
    const orgs = await env.t.db('orgs').count<{ c: string }[]>('* as c');
    const cases: [string, string, string][] = [
      ['/api/auth/register', JSON.stringify({ orgName: 'Acme\u0000', email: 'x@example.test', name: 'X', password: 'long-enough-password' }), 'orgName'],
      ['/api/auth/register', '{"orgName":"Acme","email":"y@example.test","name":"\\ud800","password":"long-enough-password"}', 'name'],
      ['/api/users', '{"email":"z@example.test","name":"\\udc00x","role":"viewer","password":"long-enough-password"}', 'name'],
      ['/api/contacts', '{"name":"A","phone":"+4915112345678","notes":{"deep":["ok","\\u0000"]}}', 'notes.deep.1'],
      ['/api/contacts', '{"name":"A","phone":"+4915112345678","\\u0000":1}', '\u0000'],
    ];
    for (const [path, body, field] of cases) {
      const r = await noBadStatement(() => raw('POST', path, { token: admin, body, type: 'application/json' }));
      expect(r.status, body).toBe(400);
      expect(r.body).toMatchObject(errorShape);
      expect(r.body.error.details[0]).toMatchObject({ in: 'body', field });
    }
    expect(await env.t.db('orgs').count<{ c: string }[]>('* as c')).toEqual(orgs);
    expect(await env.t.db('contacts').where({ org_id: env.org.id }).count<{ c: string }[]>('* as c')).toEqual([{ c: 0 }]);
  });

  it('when a device is renamed to a lone surrogate, then 400 naming the field, and neither the name nor an audit row changes', async () => {
    const d = (await env.http.post('/api/devices', { token: env.owner.token, body: { name: 'Front desk', engine: 'waha' } })).body;
    const audits = await env.t.db('audit_log').count<{ c: string }[]>('* as c');
    const r = await noBadStatement(() => raw('PUT', `/api/devices/${d.id}`, { token: env.owner.token, body: '{"name":"Sales \\ud800"}', type: 'application/json' }));
    expect(r.status).toBe(400);
    expect(r.body.error.details[0]).toMatchObject({ in: 'body', field: 'name' });
    expect((await env.t.db('devices').where({ id: d.id }).first()).name).toBe('Front desk');
    expect(await env.t.db('audit_log').count<{ c: string }[]>('* as c')).toEqual(audits);
  });

  it('when a multipart form field or file name holds a NUL, then 400 naming it', async () => {
    const form = new FormData();
    form.set('clientId', 'c-1');
    form.set('text', 'hello\u0000');
    const r = await noBadStatement(() => raw('POST', '/api/chats/1/messages', { token: env.owner.token, body: form }));
    expect(r.status).toBe(400);
    expect(r.body.error.details?.[0], JSON.stringify(r.body)).toMatchObject({ in: 'body', field: 'text' });

    // A raw NUL in a part header is refused by the multipart parser itself; the RFC 5987 form decodes to one.
    const named = ['--b', 'Content-Disposition: form-data; name="clientId"', '', 'c-2', '--b', `Content-Disposition: form-data; name="file"; filename*=UTF-8''a%00.txt`, '', 'hi', '--b--', ''].join('\r\n');
    const f = await noBadStatement(() => raw('POST', '/api/chats/1/messages', { token: env.owner.token, body: named, type: 'multipart/form-data; boundary=b' }));
    expect(f.status, JSON.stringify(f.body)).toBe(400);
    expect(f.body.error.details?.[0], JSON.stringify(f.body)).toMatchObject({ in: 'body', field: 'file.filename' });

    const csv = new FormData();
    csv.set('mode', 'skip-invalid\u0000');
    csv.set('file', new Blob(['name,phone\nA,+4915112345678\n']), 'c.csv');
    const c = await noBadStatement(() => raw('POST', '/api/contacts/import', { token: admin, body: csv }));
    expect(c.status).toBe(400);
    expect(c.body.error.details[0]).toMatchObject({ in: 'body', field: 'mode' });
  });

  it('when a CSV import holds a NUL, then that row is an error naming the column (a header: 400), and nothing of it is written', async () => {
    const r = await noBadStatement(() => raw('POST', '/api/contacts/import', { token: admin, body: 'name,phone\nBad\u0000Name,+4915112345670\nGood,+4915112345671\n', type: 'text/csv' }));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ rows: 2, inserted: 1, invalid: 1 });
    expect(r.body.errors).toEqual([expect.objectContaining({ line: 2, field: 'name', message: expect.stringMatching(/NUL/) })]);
    const h = await noBadStatement(() => raw('POST', '/api/contacts/import', { token: admin, body: 'name\u0000,phone\nA,+4915112345672\n', type: 'text/csv' }));
    expect(h.status).toBe(400);
    expect(h.body.error.code).toBe('invalid_csv');
    await env.t.db('contacts').where({ org_id: env.org.id }).del();
  });

  it('when a form-encoded body holds a NUL, then a 4xx in the error shape', async () => {
    const r = await noBadStatement(() => raw('POST', '/api/contacts', { token: admin, body: 'name=%00&phone=1', type: 'application/x-www-form-urlencoded' }));
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.body).toMatchObject(errorShape);
  });

  it('when JSON nests deeper than any API input, then 400 instead of walking it', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const r = await raw('POST', '/api/contacts', { token: admin, body: `{"name":"A","phone":"+4915112345678","notes":${deep}}`, type: 'application/json' });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/deeper/);
  });
});

describe('a change and its audit row commit together', () => {
  it('when the audit insert fails, then the change it audits is rolled back (device rename, device logout, user update, contact update)', async () => {
    const db = env.t.db;
    const d = (await env.http.post('/api/devices', { token: env.owner.token, body: { name: 'Kept name', engine: 'waha' } })).body;
    const u = await makeUser(db, env.org.id, 'viewer', { name: 'Kept person' });
    const c = (await env.http.post('/api/contacts', { token: admin, body: { name: 'Kept contact', phone: '+4915112340000' } })).body;
    expect(c.id).toBeTruthy();
    // A fault in the audit log only: every insert of these actions fails.
    await db.raw(`CREATE FUNCTION test_audit_fault() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit insert failed (test fault)'; END $$`);
    await db.raw(`CREATE TRIGGER test_audit_fault BEFORE INSERT ON audit_log FOR EACH ROW
      WHEN (NEW.action IN ('device.rename', 'device.logout', 'user.update', 'contact.update')) EXECUTE FUNCTION test_audit_fault()`);
    try {
      const rename = await env.http.put(`/api/devices/${d.id}`, { token: env.owner.token, body: { name: 'Changed' } });
      expect(rename.status).toBe(500);
      expect((await db('devices').where({ id: d.id }).first()).name).toBe('Kept name');

      const logout = await env.http.post(`/api/devices/${d.id}/logout`, { token: env.owner.token });
      expect(logout.status).toBe(500);
      // (The engine's own status webhooks may move it meanwhile; the logout's change is what must not stay.)
      expect((await db('devices').where({ id: d.id }).first()).status).not.toBe('logged_out');

      const user = await env.http.put(`/api/users/${u.id}`, { token: admin, body: { name: 'Changed' } });
      expect(user.status).toBe(500);
      expect((await db('users').where({ id: u.id }).first()).name).toBe('Kept person');

      const contact = await env.http.put(`/api/contacts/${c.id}`, { token: admin, body: { name: 'Changed' } });
      expect(contact.status).toBe(500);
      expect((await db('contacts').where({ id: c.id }).first()).name).toBe('Kept contact');
    } finally {
      await db.raw('DROP TRIGGER test_audit_fault ON audit_log');
      await db.raw('DROP FUNCTION test_audit_fault()');
    }
    // Without the fault the same change goes through, with its row.
    expect((await env.http.put(`/api/devices/${d.id}`, { token: env.owner.token, body: { name: 'Changed' } })).status).toBe(200);
    expect(await db('audit_log').where({ action: 'device.rename', target_id: d.id }).count<{ c: string }[]>('* as c')).toEqual([{ c: 1 }]);
  });
});
