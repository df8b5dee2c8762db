import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { client } from '../support/http.js';
import { makeOrg, makeUser } from '../support/factories.js';
import { login } from './factories.js';
import { liveSocket, sleep, type TestSocket } from '../realtime/ws.support.js';
import { domainEventsOf, type LoggedEvent } from '../../src/platform/events/durable-consumers.js';
import { IDS_PER_EVENT } from '../../src/features/contacts/contacts.events.js';
import type { DomainEvents } from '../../src/platform/events/domain-events.js';

/**
 * contact.updated for bulk changes: a CSV import announces every contact it inserts, changes or tags,
 * and a tag renamed, recoloured or deleted every contact carrying it —
 * to browsers as a few `{bulk, count}` frames (never one per contact), to durable consumers and
 * in-process listeners as one event per contact, and only once it commits.
 */
let t: TestApp;
let http: ReturnType<typeof client>;
let org: { id: string };
let editorToken: string;
let colleague: TestSocket; // another user of the org (a second browser)
let outsider: TestSocket; // a user of another org
const heard: DomainEvents['contact.updated'][] = [];

beforeAll(async () => {
  t = await startTestApp({ PHONE_DEFAULT_REGION: 'DE', LOGIN_RATE_MAX_PER_EMAIL: '1000', LOGIN_RATE_MAX_PER_IP: '1000' });
  http = client(t.url);
  org = await makeOrg(t.db);
  const editor = await makeUser(t.db, org.id, 'editor');
  editorToken = await login(http, editor.email);
  const viewer = await makeUser(t.db, org.id, 'viewer');
  const other = await makeUser(t.db, (await makeOrg(t.db)).id, 'editor');
  colleague = await liveSocket(t.url, await login(http, viewer.email));
  outsider = await liveSocket(t.url, await login(http, other.email));
  t.services.events.on('contact.updated', `test.${randomBytes(3).toString('hex')}`, (e) => void heard.push(e));
});
afterAll(async () => {
  await colleague?.close();
  await outsider?.close();
  await t.close();
});

const csv = (body: string, query = '') => http.post(`/api/contacts/import${query}`, { token: editorToken, raw: body, headers: { 'content-type': 'text/csv' } });
const contactFrames = (s: TestSocket) => s.events('contact.updated');
/** Waits until `s` has `n` more contact frames than `before`, then a little longer for any extra. */
async function framesAfter(s: TestSocket, before: number, n: number) {
  await s.waitFor(() => contactFrames(s).length >= before + n, 10_000, `${n} contact.updated frame(s)`);
  await sleep(300);
  return contactFrames(s).slice(before);
}
const loggedRows = async () => (await t.db('events').where({ type: 'contact.updated', org_id: org.id }).orderBy('id')) as (LoggedEvent & { data: any })[];

describe('contact.updated on bulk changes', () => {
  it('when an editor imports 6,000 contacts, then a colleague\'s open socket gets two bulk frames (no per-contact flood, no ids), can list the imported contacts at once, and another org hears nothing', async () => {
    const rows = Array.from({ length: 6000 }, (_, i) => `Bulk ${i},+49152${String(10_000_000 + i)}`);
    const before = contactFrames(colleague).length;
    const outsiderBefore = contactFrames(outsider).length;
    heard.length = 0;
    const r = await csv(['name,phone', ...rows].join('\n'));
    expect(r.status).toBe(200);
    expect(r.body.inserted).toBe(6000);

    const frames = await framesAfter(colleague, before, 2);
    expect(frames).toHaveLength(Math.ceil(6000 / IDS_PER_EVENT));
    expect(frames.map((f) => f.data)).toEqual([
      { bulk: true, count: IDS_PER_EVENT },
      { bulk: true, count: 6000 - IDS_PER_EVENT },
    ]);
    expect(contactFrames(outsider).length).toBe(outsiderBefore);
    // What the web does on such a frame: ask again, and the import is there.
    const list = await http.get('/api/contacts?q=Bulk 5999&limit=5', { token: editorToken });
    expect(list.body.items.map((c: { name: string }) => c.name)).toEqual(['Bulk 5999']);

    // Durable consumers read one event per contact from those rows; this process's listeners heard each once.
    const ids = new Set((await t.db('contacts').where({ org_id: org.id }).select('id')).map((c) => c.id as string));
    const logged = (await loggedRows()).slice(-2);
    const durable = logged.flatMap((row) => domainEventsOf(row));
    expect(durable).toHaveLength(6000);
    expect(new Set(durable.map((e) => (e.data as DomainEvents['contact.updated']).contactId))).toEqual(ids);
    expect(heard).toHaveLength(6000);
    expect(new Set(heard.map((e) => e.contactId))).toEqual(ids);
    expect(heard.every((e) => e.orgId === org.id && e.deleted === false)).toBe(true);
  });

  it('when the same file is imported again, then nothing changed and nothing is announced; when it adds a tag to three of them, then exactly those three are', async () => {
    const body = ['name,phone', 'Same A,+4915299000001', 'Same B,+4915299000002', 'Same C,+4915299000003', 'Same D,+4915299000004'].join('\n');
    expect((await csv(body)).body.inserted).toBe(4);
    await sleep(300);
    const logged = (await loggedRows()).length;
    const before = contactFrames(colleague).length;
    heard.length = 0;

    const again = await csv(body);
    expect(again.body).toMatchObject({ inserted: 0, updated: 0, unchanged: 4 });
    await sleep(500);
    expect((await loggedRows()).length).toBe(logged);
    expect(contactFrames(colleague).length).toBe(before);
    expect(heard).toHaveLength(0);

    // Unchanged fields, a tag added: the upsert leaves the rows alone, the tag still changes them.
    const tagged = await csv(['name,phone,tags', 'Same A,+4915299000001,vip', 'Same B,+4915299000002,vip', 'Same C,+4915299000003,vip'].join('\n'));
    expect(tagged.body).toMatchObject({ inserted: 0, updated: 0, unchanged: 3 });
    const [frame] = await framesAfter(colleague, before, 1);
    expect(frame!.data).toEqual({ bulk: true, count: 3 });
    const abc = (await t.db('contacts').where({ org_id: org.id }).whereIn('phone_e164', ['+4915299000001', '+4915299000002', '+4915299000003']).select('id')).map((c) => c.id);
    expect(heard.map((e) => e.contactId).sort()).toEqual(abc.sort());
  });

  it('when an import is a dry run, or all-or-nothing with a bad row, then nothing is logged, pushed or heard', async () => {
    const before = contactFrames(colleague).length;
    const logged = (await loggedRows()).length;
    heard.length = 0;
    const dry = await csv(['name,phone', 'Dry,+4915288000001'].join('\n'), '?dryRun=true');
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, inserted: 1 });
    const failed = await csv(['name,phone', 'Good,+4915288000002', 'Bad,12'].join('\n'), '?mode=all-or-nothing');
    expect(failed.status).toBe(422);
    await sleep(500);
    expect((await loggedRows()).length).toBe(logged);
    expect(contactFrames(colleague).length).toBe(before);
    expect(heard).toHaveLength(0);
  });

  it('when a tag two contacts carry is renamed, recoloured or deleted, then those two are announced (one bulk frame each time); an unused tag announces nothing', async () => {
    const tag = await http.post('/api/tags', { token: editorToken, body: { name: 'Wholesale' } });
    expect(tag.status).toBe(201);
    const ids: string[] = [];
    for (const phone of ['+4915266000001', '+4915266000002']) {
      const c = await http.post('/api/contacts', { token: editorToken, body: { name: `Tagged ${phone.slice(-1)}`, phone, tagIds: [tag.body.id] } });
      ids.push(c.body.id);
      await colleague.waitFor((f) => f.type === 'contact.updated' && f.data.id === c.body.id, 10_000, 'the create');
    }
    const unused = await http.post('/api/tags', { token: editorToken, body: { name: 'Nobody' } });
    for (const change of [
      () => http.put(`/api/tags/${tag.body.id}`, { token: editorToken, body: { name: 'Wholesale B2B' } }),
      () => http.put(`/api/tags/${tag.body.id}`, { token: editorToken, body: { color: '#123456' } }),
      () => http.del(`/api/tags/${tag.body.id}`, { token: editorToken }),
    ]) {
      const before = contactFrames(colleague).length;
      heard.length = 0;
      expect((await change()).status).toBeLessThan(300);
      const [frame] = await framesAfter(colleague, before, 1);
      expect(frame!.data).toEqual({ bulk: true, count: 2 });
      expect(heard.map((e) => e.contactId).sort()).toEqual([...ids].sort());
    }
    const before = contactFrames(colleague).length;
    heard.length = 0;
    expect((await http.put(`/api/tags/${unused.body.id}`, { token: editorToken, body: { name: 'Still nobody' } })).status).toBe(200);
    expect((await http.del(`/api/tags/${unused.body.id}`, { token: editorToken })).status).toBe(204);
    await sleep(500);
    expect(contactFrames(colleague).length).toBe(before);
    expect(heard).toHaveLength(0);
  });

  it('when one contact is edited, then the colleague gets its single frame with id and name (the card refreshes from it)', async () => {
    const created = await http.post('/api/contacts', { token: editorToken, body: { name: 'Single', phone: '+4915277000001' } });
    expect(created.status).toBe(201);
    await colleague.waitFor((f) => f.type === 'contact.updated' && f.data.id === created.body.id, 10_000, 'the create');
    const before = contactFrames(colleague).length;
    expect((await http.put(`/api/contacts/${created.body.id}`, { token: editorToken, body: { name: 'Single Renamed' } })).status).toBe(200);
    const [frame] = await framesAfter(colleague, before, 1);
    expect(frame!.data).toEqual({ id: created.body.id, name: 'Single Renamed', phone: '+4915277000001', deleted: false });
  });
});
