import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { client } from '../support/http.js';
import { makeOrg, makeUser } from '../support/factories.js';
import { login } from './factories.js';

let t: TestApp;
let http: ReturnType<typeof client>;

beforeAll(async () => {
  t = await startTestApp({ PHONE_DEFAULT_REGION: 'DE', CONTACTS_IMPORT_MAX_ROWS: '50', LOGIN_RATE_MAX_PER_EMAIL: '1000', LOGIN_RATE_MAX_PER_IP: '1000' });
  http = client(t.url);
});
afterAll(() => t.close());

async function editor() {
  const org = await makeOrg(t.db);
  const u = await makeUser(t.db, org.id, 'editor');
  return { org, token: await login(http, u.email) };
}

const csv = (token: string, body: string, query = '') =>
  http.post(`/api/contacts/import${query}`, { token, raw: body, headers: { 'content-type': 'text/csv' } });

const BAD = [
  'Full Name,Mobile,E-Mail,Firma',
  'Anna Schmidt,0151 11111111,anna@example.com,Acme', // line 2 ok
  'No Number,,x@example.com,', // line 3: phone missing
  'Bad Number,12345,,', // line 4: phone invalid
  'Bad Mail,+49 151 22222222,not-an-email,', // line 5: email invalid
  '"Multi, Name",+49 151 33333333,,"Big ""Co"""', // line 6 ok (quotes, comma)
].join('\n');

describe('POST /api/contacts/import', () => {
  it('when rows are bad in skip-invalid mode, then the good rows are imported and each bad one is reported with its line', async () => {
    const { org, token } = await editor();
    const r = await csv(token, BAD, '?mode=skip-invalid&map[company]=Firma');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ mode: 'skip-invalid', rows: 5, inserted: 2, updated: 0, unchanged: 0, invalid: 3, errorsTruncated: false });
    expect(r.body.mapping).toEqual({ name: 'Full Name', phone: 'Mobile', email: 'E-Mail', company: 'Firma' });
    expect(r.body.errors).toEqual([
      { line: 3, field: 'phone', message: expect.stringMatching(/required/) },
      { line: 4, field: 'phone', message: expect.stringMatching(/not a valid phone number/) },
      { line: 5, field: 'email', message: expect.stringMatching(/not an email/) },
    ]);
    const rows = await t.db('contacts').where({ org_id: org.id }).orderBy('name');
    expect(rows.map((c) => [c.name, c.phone_e164, c.email, c.company])).toEqual([
      ['Anna Schmidt', '+4915111111111', 'anna@example.com', 'Acme'],
      ['Multi, Name', '+4915133333333', null, 'Big "Co"'],
    ]);
    expect(await t.db('audit_log').where({ org_id: org.id, action: 'contact.import' }).count('* as n').first()).toEqual({ n: 1 });
  });

  it('when rows are bad in all-or-nothing mode, then 422 lists them and nothing is imported', async () => {
    const { org, token } = await editor();
    const r = await csv(token, BAD, '?mode=all-or-nothing&map[company]=Firma');
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('import_invalid');
    expect(r.body.error.details.errors.map((e: any) => e.line)).toEqual([3, 4, 5]);
    expect(r.body.error.details.invalid).toBe(3);
    expect(await t.db('contacts').where({ org_id: org.id }).count('* as n').first()).toEqual({ n: 0 });
    const good = await csv(token, BAD.split('\n').filter((_, i) => ![2, 3, 4].includes(i)).join('\n'), '?mode=all-or-nothing');
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({ inserted: 2, invalid: 0 });
  });

  it('when the same file is imported twice, then the second run changes nothing; a changed row updates without erasing and tags are added', async () => {
    const { org, token } = await editor();
    const file = 'name;phone;email;tags\nZoe;+49 151 44444444;zoe@example.com;VIP|Berlin\nYan;0151 55555555;;Berlin\n';
    const first = await csv(token, file);
    expect(first.body).toMatchObject({ rows: 2, inserted: 2, updated: 0, unchanged: 0 });
    const second = await csv(token, file);
    expect(second.body).toMatchObject({ rows: 2, inserted: 0, updated: 0, unchanged: 2 });
    const changed = await csv(token, 'phone,name,company\n+4915144444444,Zoe Z,Zed Co\n+4915155555555,,\n');
    expect(changed.body).toMatchObject({ rows: 2, inserted: 0, updated: 1, unchanged: 1 });
    const rows = await t.db('contacts').where({ org_id: org.id }).whereNull('deleted_at').orderBy('phone_e164');
    expect(rows.map((c) => [c.name, c.email, c.company])).toEqual([
      ['Zoe Z', 'zoe@example.com', 'Zed Co'],
      ['Yan', null, null],
    ]);
    const tags = await http.get('/api/tags', { token });
    expect(tags.body.items.map((x: any) => [x.name, x.contactCount])).toEqual([['Berlin', 2], ['VIP', 1]]);
    expect(await t.db('contacts').where({ org_id: org.id }).count('* as n').first()).toEqual({ n: 2 });
  });

  it('when a number repeats inside one file, then the later row wins and one contact exists', async () => {
    const { org, token } = await editor();
    const r = await csv(token, 'name,phone\nFirst,+49 151 66666666\nSecond,0049 151 66666666\n');
    expect(r.status).toBe(200);
    const rows = await t.db('contacts').where({ org_id: org.id });
    expect(rows.map((c) => c.name)).toEqual(['Second']);
  });

  it('when sent as multipart with the mapping in form fields, then it imports the same way', async () => {
    const { org, token } = await editor();
    const form = new FormData();
    form.append('mode', 'all-or-nothing');
    form.append('map[name]', 'Wer');
    form.append('map[phone]', 'Nummer');
    form.append('file', new Blob(['Wer,Nummer\nMulti Part,+49 151 77777777\n'], { type: 'text/csv' }), 'contacts.csv');
    const res = await fetch(`${t.url}/api/contacts/import`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    const body = (await res.json()) as any;
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ mode: 'all-or-nothing', inserted: 1, mapping: { name: 'Wer', phone: 'Nummer' } });
    expect((await t.db('contacts').where({ org_id: org.id }).first()).name).toBe('Multi Part');
  });

  it('when the mapping names a missing column, there is no phone column, the CSV is broken or too long, then 4xx and nothing is written', async () => {
    const { org, token } = await editor();
    const missing = await csv(token, 'name,phone\nA,+4915188888888\n', '?map[email]=Mail');
    expect(missing.status).toBe(400);
    expect(missing.body.error.details[0].field).toBe('map[email]');
    const noPhone = await csv(token, 'name,city\nA,Berlin\n');
    expect(noPhone.status).toBe(400);
    expect(noPhone.body.error.details[0].field).toBe('map[phone]');
    const broken = await csv(token, 'name,phone\n"unterminated,+4915188888888\n');
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('invalid_csv');
    const rows = ['name,phone', ...Array.from({ length: 51 }, (_, i) => `P${i},+49151900000${String(i).padStart(2, '0')}`)].join('\n');
    const tooMany = await csv(token, rows);
    expect(tooMany.status).toBe(413);
    expect((await http.post('/api/contacts/import', { token, body: { name: 'x' } })).status).toBe(415);
    expect(await t.db('contacts').where({ org_id: org.id }).count('* as n').first()).toEqual({ n: 0 });
  });
});

describe('GET /api/contacts/export', () => {
  it('when exported, then the CSV holds every contact with tags, guards formulas, and imports back unchanged', async () => {
    const { org, token } = await editor();
    await csv(token, 'name,phone,company,tags\n"=cmd()",+49 151 12121212,"Comma, Inc",VIP\nPlain,+49 151 13131313,,\n');
    const res = await fetch(`${t.url}/api/contacts/export`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = await res.text();
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe('name,phone,email,company,notes,tags,created_at');
    expect(lines[1]).toMatch(/^'=cmd\(\),\+4915112121212,,"Comma, Inc",,VIP,/);
    expect(lines[2]).toMatch(/^Plain,\+4915113131313,,,,,/);
    const back = await csv(token, text);
    expect(back.body).toMatchObject({ rows: 2, inserted: 0, updated: 0, unchanged: 2, invalid: 0 });
    expect((await t.db('contacts').where({ org_id: org.id, phone_e164: '+4915112121212' }).first()).name).toBe('=cmd()');
    const filtered = await fetch(`${t.url}/api/contacts/export?q=plain`, { headers: { authorization: `Bearer ${token}` } });
    expect((await filtered.text()).trim().split('\n')).toHaveLength(2);
  });
});
