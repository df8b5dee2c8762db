import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { client } from '../support/http.js';
import { makeOrg, makeUser } from '../support/factories.js';
import { login, makeChat, makeDevice, makeWaContact, mapLid } from './factories.js';

let t: TestApp;
let http: ReturnType<typeof client>;
let org: { id: string };
const tok: Record<string, string> = {};
const people: Record<string, { id: string; email: string }> = {};

beforeAll(async () => {
  // The default region is set explicitly so the national-number rows of the table read as German numbers.
  t = await startTestApp({ PHONE_DEFAULT_REGION: 'DE', LOGIN_RATE_MAX_PER_EMAIL: '1000', LOGIN_RATE_MAX_PER_IP: '1000' });
  http = client(t.url);
  org = await makeOrg(t.db);
  const other = await makeOrg(t.db);
  for (const role of ['admin', 'editor', 'viewer'] as const) people[role] = await makeUser(t.db, org.id, role);
  people.otherAdmin = await makeUser(t.db, other.id, 'admin');
  for (const [k, u] of Object.entries(people)) tok[k] = await login(http, u.email);
});
afterAll(() => t.close());

describe('phone numbers', () => {
  // What people type → what is stored (E.164), with PHONE_DEFAULT_REGION=DE; null = 400 naming phone.
  const table: [string, string, string | null][] = [
    ['national mobile with the default region', '0151 23456789', '+4915123456789'],
    ['national landline with the default region', '030 1234567', '+49301234567'],
    ['international with +', '+49 151 23456789', '+4915123456789'],
    ['international with 00', '0049 151 23456789', '+4915123456789'],
    ['00 to another country', '0044 20 7946 0958', '+442079460958'],
    ['another country with +', '+1 202 555 0123', '+12025550123'],
    ['spaces', '  +49 30 123 4567 ', '+49301234567'],
    ['dashes', '0151-234-567-89', '+4915123456789'],
    ['parentheses', '+1 (202) 555-0123', '+12025550123'],
    ['dots and slashes', '030/123.45.67', '+49301234567'],
    ['invalid: letters', 'call me maybe', null],
    ['invalid: too short', '12345', null],
    ['invalid: too short with +', '+49 30', null],
    ['invalid: too long', '+49 1512 3456 7890 1234', null],
    ['invalid: unassigned country code', '+999 1234 5678', null],
  ];
  for (const [what, input, expected] of table) {
    it(`when the number is ${what} ("${input}"), then ${expected ?? '400 naming phone'}`, async () => {
      const r = await http.post('/api/contacts', { token: tok.editor, body: { name: `Table ${what}`, phone: input } });
      if (expected === null) {
        expect(r.status).toBe(400);
        expect(r.body.error.code).toBe('validation_failed');
        expect(r.body.error.details).toEqual([expect.objectContaining({ field: 'phone' })]);
      } else {
        expect([201, 409]).toContain(r.status);
        const phone = r.status === 201 ? r.body.phone : (await http.get(`/api/contacts/${r.body.error.details.contactId}`, { token: tok.editor })).body.phone;
        expect(phone).toBe(expected);
      }
    });
  }

  it('when the default region is US, then a national number is read as American', async () => {
    const us = await startTestApp({ PHONE_DEFAULT_REGION: 'US' });
    try {
      const o = await makeOrg(us.db);
      const u = await makeUser(us.db, o.id, 'editor');
      const h = client(us.url);
      const r = await h.post('/api/contacts', { token: await login(h, u.email), body: { name: 'Ann', phone: '(202) 555-0123' } });
      expect(r.status).toBe(201);
      expect(r.body.phone).toBe('+12025550123');
    } finally {
      await us.close();
    }
  });
});

describe('contacts CRUD', () => {
  it('when a contact is created, read, updated and deleted, then each answer shows it and the audit log has every step', async () => {
    const c = await http.post('/api/contacts', { token: tok.editor, body: { name: 'Maria Lopez', phone: '0151 11122233', email: 'Maria@Example.com', company: 'Acme', notes: 'VIP' } });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ name: 'Maria Lopez', phone: '+4915111122233', email: 'maria@example.com', company: 'Acme', notes: 'VIP', tags: [], createdBy: people.editor!.id });
    const id = c.body.id;
    expect((await http.get(`/api/contacts/${id}`, { token: tok.viewer })).body.name).toBe('Maria Lopez');
    const u = await http.put(`/api/contacts/${id}`, { token: tok.admin, body: { name: 'María López', company: null, phone: '+49 151 11122244' } });
    expect(u.status).toBe(200);
    expect(u.body).toMatchObject({ name: 'María López', company: null, phone: '+4915111122244', email: 'maria@example.com' });
    expect((await http.del(`/api/contacts/${id}`, { token: tok.editor })).status).toBe(204);
    expect((await http.get(`/api/contacts/${id}`, { token: tok.editor })).status).toBe(404);
    expect((await http.del(`/api/contacts/${id}`, { token: tok.editor })).status).toBe(404);
    const row = await t.db('contacts').where({ id }).first();
    expect(row.deleted_at).not.toBeNull();
    const actions = (await t.db('audit_log').where({ target_id: id }).orderBy('id')).map((a) => a.action);
    expect(actions).toEqual(['contact.create', 'contact.update', 'contact.delete']);
  });

  it('when a second contact has the same number in another format, then 409 pointing at the first', async () => {
    const first = await http.post('/api/contacts', { token: tok.editor, body: { name: 'First', phone: '+49 151 99988877' } });
    expect(first.status).toBe(201);
    const second = await http.post('/api/contacts', { token: tok.admin, body: { name: 'Second', phone: '0049-151-999-888-77' } });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('contact_exists');
    expect(second.body.error.details.contactId).toBe(first.body.id);
  });

  it('when an update takes another contact’s number, then 409 pointing at that contact', async () => {
    const a = await http.post('/api/contacts', { token: tok.editor, body: { name: 'A', phone: '+49 151 70000001' } });
    const b = await http.post('/api/contacts', { token: tok.editor, body: { name: 'B', phone: '+49 151 70000002' } });
    const r = await http.put(`/api/contacts/${b.body.id}`, { token: tok.editor, body: { phone: '015170000001' } });
    expect(r.status).toBe(409);
    expect(r.body.error.details.contactId).toBe(a.body.id);
  });

  it('when a contact is deleted, then its number can be used again, and another org may always use it', async () => {
    const a = await http.post('/api/contacts', { token: tok.editor, body: { name: 'Gone', phone: '+49 151 70000003' } });
    expect((await http.post('/api/contacts', { token: tok.otherAdmin, body: { name: 'Elsewhere', phone: '+49 151 70000003' } })).status).toBe(201);
    await http.del(`/api/contacts/${a.body.id}`, { token: tok.editor });
    const again = await http.post('/api/contacts', { token: tok.editor, body: { name: 'Back', phone: '+49 151 70000003' } });
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(a.body.id);
  });

  it('when another org’s admin asks for a contact, then 404', async () => {
    const a = await http.post('/api/contacts', { token: tok.editor, body: { name: 'Mine', phone: '+49 151 70000004' } });
    expect((await http.get(`/api/contacts/${a.body.id}`, { token: tok.otherAdmin })).status).toBe(404);
    expect((await http.put(`/api/contacts/${a.body.id}`, { token: tok.otherAdmin, body: { name: 'x' } })).status).toBe(404);
    expect((await http.del(`/api/contacts/${a.body.id}`, { token: tok.otherAdmin })).status).toBe(404);
  });

  it('when the body lacks name or phone or has unknown fields, then 400 naming them', async () => {
    const r = await http.post('/api/contacts', { token: tok.editor, body: { email: 'x@y.example' } });
    expect(r.status).toBe(400);
    expect(r.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['name', 'phone']);
    expect((await http.post('/api/contacts', { token: tok.editor, body: { name: 'a', phone: '+4915170000009', owner: 'me' } })).status).toBe(400);
    const badEmail = await http.post('/api/contacts', { token: tok.editor, body: { name: 'a', phone: '+4915170000009', email: 'nope' } });
    expect(badEmail.body.error.details[0].field).toBe('email');
  });
});

describe('roles', () => {
  // Viewers read; editors and admins write. Another org's admin is a stranger (404 on ids).
  it('when a viewer tries to write, then 403; reading works', async () => {
    const c = await http.post('/api/contacts', { token: tok.admin, body: { name: 'Role check', phone: '+49 151 70000010' } });
    expect(c.status).toBe(201);
    expect((await http.post('/api/contacts', { token: tok.viewer, body: { name: 'V', phone: '+49 151 70000011' } })).status).toBe(403);
    expect((await http.put(`/api/contacts/${c.body.id}`, { token: tok.viewer, body: { name: 'V' } })).status).toBe(403);
    expect((await http.del(`/api/contacts/${c.body.id}`, { token: tok.viewer })).status).toBe(403);
    expect((await http.put(`/api/contacts/${c.body.id}/tags`, { token: tok.viewer, body: { tagIds: [] } })).status).toBe(403);
    expect((await http.post('/api/tags', { token: tok.viewer, body: { name: 'nope' } })).status).toBe(403);
    expect((await http.post('/api/contacts/import', { token: tok.viewer, raw: 'name,phone\n', headers: { 'content-type': 'text/csv' } })).status).toBe(403);
    for (const path of [`/api/contacts/${c.body.id}`, '/api/contacts', `/api/contacts/${c.body.id}/card`, `/api/contacts/${c.body.id}/stats`, '/api/contacts/matches', '/api/tags', '/api/contacts/export', '/api/favorites']) {
      expect((await http.get(path, { token: tok.viewer })).status, path).toBe(200);
    }
    expect((await http.put(`/api/favorites/${c.body.id}`, { token: tok.viewer })).status).toBe(200);
    expect((await http.get('/api/contacts')).status).toBe(401);
  });
});

describe('listing', () => {
  it('when listing with q, tag and small pages, then every match comes once, by name', async () => {
    const o = await makeOrg(t.db);
    const ed = await makeUser(t.db, o.id, 'editor');
    const token = await login(http, ed.email);
    const vip = (await http.post('/api/tags', { token, body: { name: 'VIP', color: '#FF0000' } })).body;
    const names = ['delta', 'Alpha', 'charlie', 'Bravo', 'echo'];
    const ids: Record<string, string> = {};
    for (const [i, n] of names.entries()) {
      const r = await http.post('/api/contacts', { token, body: { name: n, phone: `+49 151 8000000${i}`, company: i % 2 ? 'Globex' : 'Initech', email: `${n.toLowerCase()}@mail.test`, tagIds: i < 3 ? [vip.id] : [] } });
      expect(r.status).toBe(201);
      ids[n] = r.body.id;
    }
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await http.get(`/api/contacts?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token });
      all.push(...page.body.items.map((c: { name: string }) => c.name));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(all).toEqual(['Alpha', 'Bravo', 'charlie', 'delta', 'echo']);
    const byTag = await http.get(`/api/contacts?tag=${vip.id}`, { token });
    expect(byTag.body.items.map((c: any) => c.name)).toEqual(['Alpha', 'charlie', 'delta']);
    expect(byTag.body.items[0].tags).toEqual([{ id: vip.id, name: 'VIP', color: '#ff0000' }]);
    const q = async (s: string) => (await http.get(`/api/contacts?q=${encodeURIComponent(s)}`, { token })).body.items.map((c: any) => c.name);
    expect(await q('glob')).toEqual(['Alpha', 'Bravo']);
    expect(await q('ECHO@mail')).toEqual(['echo']);
    expect(await q('CHAR')).toEqual(['charlie']);
    expect(await q('0151 80000004')).toEqual(['echo']); // national digits find the E.164 number
    expect(await q('+4915180000003')).toEqual(['Bravo']);
    expect(await q('100%_')).toEqual([]);
    expect((await http.get(`/api/contacts?tag=${vip.id}&q=initech`, { token })).body.items.map((c: any) => c.name)).toEqual(['charlie', 'delta']);
  });

  it('when the cursor is garbage, then 400 naming cursor', async () => {
    const r = await http.get('/api/contacts?cursor=zzz', { token: tok.viewer });
    expect(r.status).toBe(400);
    expect(r.body.error.details[0].field).toBe('cursor');
  });
});

describe('the "+" button', () => {
  it('when a contact is created from a WhatsApp-only chat, then name and number come from WhatsApp', async () => {
    const device = await makeDevice(t.db, org.id, people.editor!.id);
    await makeWaContact(t.db, device, '4915170000020@s.whatsapp.net', { push: 'Pushy', full: 'Full Name' });
    const chat = await makeChat(t.db, device, '4915170000020@s.whatsapp.net', 'Chat Name');
    const r = await http.post('/api/contacts', { token: tok.editor, body: { fromChatId: chat.id } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'Full Name', phone: '+4915170000020' });
    const again = await http.post('/api/contacts', { token: tok.editor, body: { fromChatId: chat.id } });
    expect(again.status).toBe(409);
    expect(again.body.error.details.contactId).toBe(r.body.id);
  });

  it('when the chat is known only by LID, then the number comes through the LID map; a name given wins', async () => {
    const device = await makeDevice(t.db, org.id, people.editor!.id);
    const chat = await makeChat(t.db, device, '777000111@lid', 'Hidden');
    const before = await http.post('/api/contacts', { token: tok.editor, body: { fromChatId: chat.id } });
    expect(before.status).toBe(400);
    expect(before.body.error.details[0].field).toBe('fromChatId');
    await mapLid(t.db, device.id, '777000111@lid', '4915170000021@s.whatsapp.net');
    const r = await http.post('/api/contacts', { token: tok.editor, body: { fromChatId: chat.id, name: 'Given' } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'Given', phone: '+4915170000021' });
  });

  it('when the chat or WhatsApp contact is on a device the caller may not see, then 404 — admins included', async () => {
    const device = await makeDevice(t.db, org.id, people.editor!.id);
    const w = await makeWaContact(t.db, device, '4915170000022@s.whatsapp.net', { push: 'Secret' });
    const chat = await makeChat(t.db, device, '4915170000022@s.whatsapp.net');
    expect((await http.post('/api/contacts', { token: tok.admin, body: { fromChatId: chat.id } })).status).toBe(404);
    expect((await http.post('/api/contacts', { token: tok.admin, body: { waContactId: w.id } })).status).toBe(404);
    const ok = await http.post('/api/contacts', { token: tok.editor, body: { waContactId: w.id } });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ name: 'Secret', phone: '+4915170000022' });
  });

  it('when the chat is a group, then 400', async () => {
    const device = await makeDevice(t.db, org.id, people.editor!.id);
    const chat = await makeChat(t.db, device, '1203630001@g.us', 'Team');
    const r = await http.post('/api/contacts', { token: tok.editor, body: { fromChatId: chat.id } });
    expect(r.status).toBe(400);
  });
});
