import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { client } from '../support/http.js';
import { makeOrg, makeUser } from '../support/factories.js';
import { crmForChats, normalizeWaContactPhones } from '../../src/features/contacts/contacts.service.js';
import { addMember, login, makeDevice, makeWaContact, mapLid } from './factories.js';

let t: TestApp;
let http: ReturnType<typeof client>;

beforeAll(async () => {
  t = await startTestApp({ LOGIN_RATE_MAX_PER_EMAIL: '1000', LOGIN_RATE_MAX_PER_IP: '1000' });
  http = client(t.url);
});
afterAll(() => t.close());

async function team() {
  const org = await makeOrg(t.db);
  const owner = await makeUser(t.db, org.id, 'editor');
  const admin = await makeUser(t.db, org.id, 'admin');
  const member = await makeUser(t.db, org.id, 'viewer');
  return { org, owner, admin, member, tokOwner: await login(http, owner.email), tokAdmin: await login(http, admin.email), tokMember: await login(http, member.email) };
}

const all = async (token: string, kind: string) => {
  const out: any[] = [];
  let cursor: string | null = null;
  let counts: any;
  do {
    const r: any = await http.get(`/api/contacts/matches?kind=${kind}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token });
    expect(r.status).toBe(200);
    counts = r.body.counts;
    out.push(...r.body.items);
    cursor = r.body.nextCursor;
  } while (cursor);
  return { items: out, counts };
};

describe('wa_contacts numbers', () => {
  it('when the ingest writes a WhatsApp contact without a number, then the number is derived from the JID, or the LID map (also when the mapping comes later)', async () => {
    const { org, owner } = await team();
    const d = await makeDevice(t.db, org.id, owner.id);
    expect((await makeWaContact(t.db, d, '12025550142@s.whatsapp.net')).phone_e164).toBe('+12025550142');
    expect((await makeWaContact(t.db, d, '12025550143:7@s.whatsapp.net')).phone_e164).toBe('+12025550143');
    expect((await makeWaContact(t.db, d, '1203630000111@g.us')).phone_e164).toBeNull();
    const lid = await makeWaContact(t.db, d, '98765432100@lid');
    expect(lid.phone_e164).toBeNull();
    await mapLid(t.db, d.id, '98765432100@lid', '12025550144@s.whatsapp.net');
    expect((await t.db('wa_contacts').where({ id: lid.id }).first()).phone_e164).toBe('+12025550144');
    await t.db.raw('ALTER TABLE wa_contacts DISABLE TRIGGER wa_contacts_fill_phone');
    await t.db('wa_contacts').where({ id: lid.id }).update({ phone_e164: null });
    await t.db.raw('ALTER TABLE wa_contacts ENABLE TRIGGER wa_contacts_fill_phone');
    expect(await normalizeWaContactPhones(t.db, d.id)).toBe(1);
    expect((await t.db('wa_contacts').where({ id: lid.id }).first()).phone_e164).toBe('+12025550144');
  });
});

describe('GET /api/contacts/matches', () => {
  it('when CRM and WhatsApp contacts overlap (some only by LID), then pairs, WhatsApp-only and CRM-only are right, with counts, and follow changes on either side', async () => {
    const { org, owner, tokOwner } = await team();
    const d1 = await makeDevice(t.db, org.id, owner.id, { name: 'Sales phone' });
    const d2 = await makeDevice(t.db, org.id, owner.id, { name: 'Support phone' });
    for (const [name, phone] of [['Ann', '+1 202 555 0001'], ['Bob', '+1 202 555 0002'], ['Cid', '+1 202 555 0003'], ['Dee', '+1 202 555 0004']]) {
      expect((await http.post('/api/contacts', { token: tokOwner, body: { name, phone } })).status).toBe(201);
    }
    await makeWaContact(t.db, d1, '12025550001@s.whatsapp.net', { push: 'ann-wa' }); // Ann by phone JID
    await makeWaContact(t.db, d2, '12025550001@s.whatsapp.net', { business: 'Ann Inc' }); // Ann on a second device
    await makeWaContact(t.db, d1, '111222333@lid', { push: 'bob-lid' }); // Bob known only by LID
    await mapLid(t.db, d1.id, '111222333@lid', '12025550002@s.whatsapp.net');
    await makeWaContact(t.db, d1, '12025550009@s.whatsapp.net', { push: 'stranger' }); // WhatsApp only
    await makeWaContact(t.db, d2, '444555666@lid', { push: 'unmapped' }); // LID without mapping: WhatsApp only, no number
    await makeWaContact(t.db, d1, '1203630000222@g.us', { full: 'A group' }); // groups are not people: ignored

    const matched = await all(tokOwner, 'matched');
    expect(matched.counts).toEqual({ matched: 2, whatsappOnly: 2, crmOnly: 2 });
    expect(matched.items.map((i: any) => [i.phone, i.contact.name, i.whatsapp.map((w: any) => w.pushName ?? w.businessName).sort()])).toEqual([
      ['+12025550001', 'Ann', ['Ann Inc', 'ann-wa']],
      ['+12025550002', 'Bob', ['bob-lid']],
    ]);
    expect(matched.items[1].whatsapp[0]).toMatchObject({ jid: '111222333@lid', phone: '+12025550002', deviceId: d1.id });
    const waOnly = await all(tokOwner, 'whatsapp-only');
    expect(waOnly.items.map((i: any) => [i.phone, i.contact, i.whatsapp.map((w: any) => w.jid)])).toEqual([
      ['+12025550009', null, ['12025550009@s.whatsapp.net']],
      [null, null, ['444555666@lid']],
    ]);
    const crmOnly = await all(tokOwner, 'crm-only');
    expect(crmOnly.items.map((i: any) => [i.contact.name, i.whatsapp])).toEqual([['Cid', []], ['Dee', []]]);

    // Either side changes: the next answer shows it.
    await mapLid(t.db, d2.id, '444555666@lid', '12025550003@s.whatsapp.net'); // Cid appears by LID
    const stranger = await http.post('/api/contacts', { token: tokOwner, body: { name: 'Stranger', phone: '+12025550009' } });
    const dee = (await all(tokOwner, 'crm-only')).items.find((i: any) => i.contact.name === 'Dee').contact.id;
    await http.put(`/api/contacts/${dee}`, { token: tokOwner, body: { phone: '+1 202 555 0005' } });
    await http.del(`/api/contacts/${stranger.body.id}`, { token: tokOwner });
    const after = await all(tokOwner, 'matched');
    expect(after.counts).toEqual({ matched: 3, whatsappOnly: 1, crmOnly: 1 });
    expect(after.items.map((i: any) => i.contact.name)).toEqual(['Ann', 'Bob', 'Cid']);
  });

  it('when the caller may not see a device, then its WhatsApp contacts take no part — admins included; members see them', async () => {
    const { org, owner, tokAdmin, tokMember, tokOwner, member } = await team();
    const d = await makeDevice(t.db, org.id, owner.id);
    await http.post('/api/contacts', { token: tokOwner, body: { name: 'Eve', phone: '+1 202 555 0031' } });
    await makeWaContact(t.db, d, '12025550031@s.whatsapp.net', { push: 'eve' });
    await makeWaContact(t.db, d, '12025550032@s.whatsapp.net', { push: 'other' });
    const asAdmin = await http.get('/api/contacts/matches', { token: tokAdmin });
    expect(asAdmin.body.counts).toEqual({ matched: 0, whatsappOnly: 0, crmOnly: 1 });
    expect(asAdmin.body.items).toEqual([]);
    expect((await http.get('/api/contacts/matches?kind=whatsapp-only', { token: tokAdmin })).body.items).toEqual([]);
    await addMember(t.db, d.id, member.id);
    const asMember = await http.get('/api/contacts/matches', { token: tokMember });
    expect(asMember.body.counts).toEqual({ matched: 1, whatsappOnly: 1, crmOnly: 0 });
    // Another organization's contacts never match.
    const stranger = await team();
    const sd = await makeDevice(t.db, stranger.org.id, stranger.owner.id);
    await makeWaContact(t.db, sd, '12025550031@s.whatsapp.net');
    expect((await http.get('/api/contacts/matches', { token: stranger.tokOwner })).body.counts).toEqual({ matched: 0, whatsappOnly: 1, crmOnly: 0 });
  });
});

describe('crmForChats', () => {
  it('when chats are given by phone JID, LID and group, then the CRM name and tags come back for the people that are contacts', async () => {
    const { org, owner, tokOwner } = await team();
    const d = await makeDevice(t.db, org.id, owner.id);
    const tag = (await http.post('/api/tags', { token: tokOwner, body: { name: 'VIP', color: '#aa0000' } })).body;
    const c = (await http.post('/api/contacts', { token: tokOwner, body: { name: 'Gus', phone: '+1 202 555 0041', tagIds: [tag.id] } })).body;
    await http.post('/api/contacts', { token: tokOwner, body: { name: 'Hal', phone: '+1 202 555 0042' } });
    await mapLid(t.db, d.id, '5550042@lid', '12025550042@s.whatsapp.net');
    const map = await crmForChats(t.db, org.id, [
      { deviceId: d.id, jid: '12025550041@s.whatsapp.net' },
      { deviceId: d.id, jid: '5550042@lid' },
      { deviceId: d.id, jid: '12025550049@s.whatsapp.net' },
      { deviceId: d.id, jid: '999@lid' },
      { deviceId: d.id, jid: '1203630000333@g.us' },
    ]);
    expect([...map.keys()].sort()).toEqual(['12025550041@s.whatsapp.net', '5550042@lid']);
    expect(map.get('12025550041@s.whatsapp.net')).toEqual({ contactId: c.id, name: 'Gus', phone: '+12025550041', tags: [{ id: tag.id, name: 'VIP', color: '#aa0000' }] });
    expect(map.get('5550042@lid')).toMatchObject({ name: 'Hal', tags: [] });
    const otherOrg = await makeOrg(t.db);
    expect((await crmForChats(t.db, otherOrg.id, [{ deviceId: d.id, jid: '12025550041@s.whatsapp.net' }])).size).toBe(0);
  });
});
