import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { client } from '../support/http.js';
import { makeOrg, makeUser } from '../support/factories.js';
import { login } from './factories.js';

/** What the contacts page needs from the API: who may do what, the list's filters and cursor, the import preview. */
let t: TestApp;
let http: ReturnType<typeof client>;

beforeAll(async () => {
  t = await startTestApp({ PHONE_DEFAULT_REGION: 'DE', LOGIN_RATE_MAX_PER_EMAIL: '1000', LOGIN_RATE_MAX_PER_IP: '1000' });
  http = client(t.url);
});
afterAll(() => t.close());

async function org() {
  const o = await makeOrg(t.db);
  const [admin, editor, viewer] = [await makeUser(t.db, o.id, 'admin'), await makeUser(t.db, o.id, 'editor'), await makeUser(t.db, o.id, 'viewer')];
  return { o, tok: { admin: await login(http, admin.email), editor: await login(http, editor.email), viewer: await login(http, viewer.email) } };
}

describe('contacts and tags: everyone in the org reads, editors and admins write', () => {
  it('when each role writes contacts and manages tags, then editors and admins may, viewers get 403 in the error shape and nothing changes', async () => {
    const { tok } = await org();
    for (const who of ['admin', 'editor'] as const) {
      const tag = await http.post('/api/tags', { token: tok[who], body: { name: `T ${who}`, color: '#112233' } });
      expect(tag.status, who).toBe(201);
      expect((await http.put(`/api/tags/${tag.body.id}`, { token: tok[who], body: { name: `T2 ${who}`, color: '#445566' } })).status, who).toBe(200);
      const c = await http.post('/api/contacts', { token: tok[who], body: { name: `By ${who}`, phone: who === 'admin' ? '0151 40000001' : '0151 40000002', tagIds: [tag.body.id] } });
      expect(c.status, who).toBe(201);
      expect((await http.put(`/api/contacts/${c.body.id}`, { token: tok[who], body: { notes: 'n' } })).status, who).toBe(200);
      expect((await http.put(`/api/contacts/${c.body.id}/tags`, { token: tok[who], body: { tagIds: [] } })).status, who).toBe(200);
      expect((await http.del(`/api/tags/${tag.body.id}`, { token: tok[who] })).status, who).toBe(204);
      expect((await http.del(`/api/contacts/${c.body.id}`, { token: tok[who] })).status, who).toBe(204);
    }
    const tag = (await http.post('/api/tags', { token: tok.editor, body: { name: 'Keep' } })).body;
    const c = (await http.post('/api/contacts', { token: tok.editor, body: { name: 'Keep me', phone: '0151 40000003' } })).body;
    const refused = [
      await http.post('/api/tags', { token: tok.viewer, body: { name: 'V' } }),
      await http.put(`/api/tags/${tag.id}`, { token: tok.viewer, body: { name: 'Renamed' } }),
      await http.del(`/api/tags/${tag.id}`, { token: tok.viewer }),
      await http.post('/api/contacts', { token: tok.viewer, body: { name: 'V', phone: '0151 40000004' } }),
      await http.put(`/api/contacts/${c.id}`, { token: tok.viewer, body: { name: 'Renamed' } }),
      await http.put(`/api/contacts/${c.id}/tags`, { token: tok.viewer, body: { tagIds: [tag.id] } }),
      await http.del(`/api/contacts/${c.id}`, { token: tok.viewer }),
      await http.post('/api/contacts/import?dryRun=true', { token: tok.viewer, raw: 'name,phone\nA,0151 40000005\n', headers: { 'content-type': 'text/csv' } }),
    ];
    for (const r of refused) {
      expect(r.status).toBe(403);
      expect(r.body).toEqual({ error: { code: 'forbidden', message: expect.any(String) } });
    }
    const seen = await http.get('/api/contacts?q=Keep', { token: tok.viewer });
    expect(seen.body.items.map((x: any) => [x.name, x.tags])).toEqual([['Keep me', []]]);
    expect((await http.get('/api/tags', { token: tok.viewer })).body.items.map((x: any) => x.name)).toEqual(['Keep']);
    expect((await http.get(`/api/contacts/${c.id}/card`, { token: tok.viewer })).status).toBe(200);
  });
});

describe('GET /api/contacts for the page', () => {
  it('when filtering by favorites, tag and text over cursor pages, then each page carries favorite, and the filters combine', async () => {
    const { tok } = await org();
    const vip = (await http.post('/api/tags', { token: tok.editor, body: { name: 'VIP' } })).body;
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await http.post('/api/contacts', { token: tok.editor, body: { name: `Person ${i}`, phone: `0151 5000000${i}`, company: i % 2 ? 'Globex' : 'Initech', tagIds: i < 4 ? [vip.id] : [] } });
      ids.push(r.body.id);
    }
    // The viewer pins three; the editor pins one other. Pins are each person's own.
    for (const i of [1, 3, 5]) expect((await http.put(`/api/favorites/${ids[i]}`, { token: tok.viewer })).status).toBe(200);
    await http.put(`/api/favorites/${ids[0]}`, { token: tok.editor });

    const walk = async (query: string, token: string) => {
      const out: [string, boolean][] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const r: any = await http.get(`/api/contacts?limit=2&${query}${cursor ? `&cursor=${cursor}` : ''}`, { token });
        expect(r.status).toBe(200);
        out.push(...r.body.items.map((x: any) => [x.name, x.favorite] as [string, boolean]));
        cursor = r.body.nextCursor;
        pages++;
      } while (cursor && pages < 20);
      return out;
    };
    expect(await walk('', tok.viewer)).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => [`Person ${i}`, [1, 3, 5].includes(i)]));
    expect(await walk('favorite=true', tok.viewer)).toEqual([['Person 1', true], ['Person 3', true], ['Person 5', true]]);
    expect(await walk('favorite=true', tok.editor)).toEqual([['Person 0', true]]);
    expect(await walk(`favorite=true&tag=${vip.id}`, tok.viewer)).toEqual([['Person 1', true], ['Person 3', true]]);
    expect(await walk(`favorite=1&tag=${vip.id}&q=globex`, tok.viewer)).toEqual([['Person 1', true], ['Person 3', true]]);
    expect(await walk(`q=initech&tag=${vip.id}`, tok.viewer)).toEqual([['Person 0', false], ['Person 2', false]]);
    expect(await walk('q=50000006', tok.viewer)).toEqual([['Person 6', false]]); // digits of the number
    expect(await walk('favorite=false', tok.viewer)).toHaveLength(7); // false means no filter
    const bad = await http.get('/api/contacts?favorite=maybe', { token: tok.viewer });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe('favorite');
  });

  it('when the organization holds many contacts, then a search is planned on the trigram index, not a scan of every contact', async () => {
    const { o } = await org();
    await t.db.raw(
      `INSERT INTO contacts (org_id, name, phone_e164, email) SELECT ?, 'Person ' || i, '+4915160' || lpad(i::text, 6, '0'), 'p' || i || '@x.test' FROM generate_series(1, 20000) i`,
      [o.id],
    );
    await t.db.raw('ANALYZE contacts');
    const { rows } = await t.db.raw(
      `EXPLAIN SELECT id FROM contacts WHERE org_id = ? AND deleted_at IS NULL AND contacts_search_text(name, email, company, phone_e164) ILIKE '%son 1234%' ORDER BY lower(name), id LIMIT 51`,
      [o.id],
    );
    expect(rows.map((r: any) => r['QUERY PLAN']).join('\n')).toContain('contacts_search_trgm_idx');
  });
});

describe('POST /api/contacts/import?dryRun=true', () => {
  const CSV = ['Name,Phone,Email,Tags', 'Anna,0151 60000001,anna@x.test,VIP', 'No number,,,', 'Bad mail,0151 60000002,nope,', 'Bert,0151 60000003,bert@x.test,Lead;VIP', 'Anna again,0151 60000001,,'].join('\n');
  const post = (token: string, q: string, body = CSV) => http.post(`/api/contacts/import${q}`, { token, raw: body, headers: { 'content-type': 'text/csv' } });

  it('when a CSV is previewed, then counts, the rows as stored and each bad row with its line come back, and nothing is written or audited', async () => {
    const { tok } = await org();
    const existing = (await http.post('/api/contacts', { token: tok.editor, body: { name: 'Bert', phone: '+4915160000003' } })).body;
    const before = await t.db('audit_log').count<{ count: string }[]>('* as count');
    const r = await post(tok.editor, '?dryRun=true');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ dryRun: true, rows: 5, inserted: 1, updated: 1, unchanged: 0, invalid: 2 });
    expect(r.body.errors).toEqual([
      { line: 3, field: 'phone', message: 'a phone number is required' },
      { line: 4, field: 'email', message: '"nope" is not an email address' },
    ]);
    // "Anna again" (line 6) wins over line 2, as the real import would do.
    expect(r.body.preview).toEqual([
      { line: 5, action: 'update', name: 'Bert', phone: '+4915160000003', email: 'bert@x.test', company: null, tags: ['Lead', 'VIP'] },
      { line: 6, action: 'insert', name: 'Anna again', phone: '+4915160000001', email: null, company: null, tags: [] },
    ]);
    const list = await http.get('/api/contacts', { token: tok.editor });
    expect(list.body.items.map((c: any) => [c.name, c.tags])).toEqual([['Bert', []]]);
    expect((await http.get('/api/tags', { token: tok.editor })).body.items).toEqual([]);
    expect(await t.db('audit_log').count<{ count: string }[]>('* as count')).toEqual(before);

    // The same file for real: the counts the preview promised.
    const real = await post(tok.editor, '');
    expect(real.body).toMatchObject({ dryRun: false, preview: [], inserted: 1, updated: 1, invalid: 2 });
    expect((await http.get(`/api/contacts/${existing.id}`, { token: tok.editor })).body.tags.map((x: any) => x.name)).toEqual(['Lead', 'VIP']);
  });

  it('when an all-or-nothing import with bad rows is previewed, then 200 with the errors instead of 422; a bad header is still 400', async () => {
    const { tok } = await org();
    const r = await post(tok.admin, '?dryRun=true&mode=all-or-nothing');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ dryRun: true, mode: 'all-or-nothing', invalid: 2 });
    expect((await post(tok.admin, '?dryRun=true', 'Name,Email\nA,a@x.test\n')).status).toBe(400);
    expect((await post(tok.admin, '?dryRun=perhaps')).status).toBe(400);
    expect((await http.get('/api/contacts', { token: tok.admin })).body.items).toEqual([]);
  });
});
