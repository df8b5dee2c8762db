import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { client } from '../support/http.js';
import { makeOrg, makeUser } from '../support/factories.js';
import { addMember, login, makeChat, makeDevice, makeMessage, makeWaContact, mapLid } from './factories.js';

let t: TestApp;
let http: ReturnType<typeof client>;

beforeAll(async () => {
  t = await startTestApp({ LOGIN_RATE_MAX_PER_EMAIL: '1000', LOGIN_RATE_MAX_PER_IP: '1000' });
  http = client(t.url);
});
afterAll(() => t.close());

/**
 * One person (+1 202 555 0061) writes to three devices of one organization: alice's (by phone JID),
 * bob's (by LID only) and a shared number owned by alice where carol is a member. dan is the org
 * admin and owns none of them.
 */
async function world() {
  const org = await makeOrg(t.db);
  const alice = await makeUser(t.db, org.id, 'editor');
  const bob = await makeUser(t.db, org.id, 'editor');
  const carol = await makeUser(t.db, org.id, 'viewer');
  const dan = await makeUser(t.db, org.id, 'admin');
  const tok = { alice: await login(http, alice.email), bob: await login(http, bob.email), carol: await login(http, carol.email), dan: await login(http, dan.email) };
  const dA = await makeDevice(t.db, org.id, alice.id, { name: 'Alice phone' });
  const dB = await makeDevice(t.db, org.id, bob.id, { name: 'Bob phone' });
  const dS = await makeDevice(t.db, org.id, alice.id, { name: 'Shared line' });
  await addMember(t.db, dS.id, carol.id, 'viewer');
  const jid = '12025550061@s.whatsapp.net';
  await makeWaContact(t.db, dA, jid, { push: 'Pat', full: 'Pat Doe' });
  await makeWaContact(t.db, dB, '8080@lid', { push: 'Pat (bob)' });
  await mapLid(t.db, dB.id, '8080@lid', jid);
  await makeWaContact(t.db, dS, jid, { business: 'Doe Ltd' });
  const chatA = await makeChat(t.db, dA, jid, 'Pat');
  const chatB = await makeChat(t.db, dB, '8080@lid', 'Pat by LID');
  const chatS = await makeChat(t.db, dS, jid, 'Pat on shared');
  await makeChat(t.db, dA, '1203630000444@g.us', 'Group with Pat'); // a group is not a chat with the person
  const contact = (await http.post('/api/contacts', { token: tok.alice, body: { name: 'Pat Doe', phone: '+1 202 555 0061' } })).body;
  return { org, tok, dA, dB, dS, chatA, chatB, chatS, contact };
}

describe('GET /api/contacts/:id/card', () => {
  it('when each person opens the card, then it shows only the chats and WhatsApp names of devices they may see, with the last message', async () => {
    const w = await world();
    await makeMessage(t.db, w.dA, w.chatA.id, 'in', '2026-01-01T10:00:00Z', 'hello alice');
    await makeMessage(t.db, w.dA, w.chatA.id, 'out', '2026-01-01T10:05:00Z', 'hi pat');
    await makeMessage(t.db, w.dB, w.chatB.id, 'in', '2026-01-02T09:00:00Z', 'secret to bob');
    await makeMessage(t.db, w.dS, w.chatS.id, 'in', '2026-01-03T09:00:00Z', 'to the shared line');

    const card = async (who: keyof typeof w.tok) => {
      const r = await http.get(`/api/contacts/${w.contact.id}/card`, { token: w.tok[who] });
      expect(r.status).toBe(200);
      return r.body;
    };
    const alice = await card('alice');
    expect(alice.contact).toMatchObject({ id: w.contact.id, name: 'Pat Doe', phone: '+12025550061' });
    expect(alice.chats.map((c: any) => c.id)).toEqual([w.chatS.id, w.chatA.id]);
    expect(alice.chats[1]).toMatchObject({ deviceName: 'Alice phone', lastMessage: { direction: 'out', body: 'hi pat' } });
    expect(alice.whatsapp.map((x: any) => [x.deviceName, x.fullName ?? x.businessName]).sort()).toEqual([['Alice phone', 'Pat Doe'], ['Shared line', 'Doe Ltd']]);
    expect(JSON.stringify(alice)).not.toContain('secret to bob');

    const bob = await card('bob');
    expect(bob.chats.map((c: any) => [c.id, c.jid, c.lastMessage.body])).toEqual([[w.chatB.id, '8080@lid', 'secret to bob']]);
    expect(bob.whatsapp.map((x: any) => x.pushName)).toEqual(['Pat (bob)']);

    const carol = await card('carol');
    expect(carol.chats.map((c: any) => c.id)).toEqual([w.chatS.id]);
    expect(carol.whatsapp.map((x: any) => x.deviceName)).toEqual(['Shared line']);

    // The org admin owns no device: CRM fields only, never a chat.
    const dan = await card('dan');
    expect(dan.contact.name).toBe('Pat Doe');
    expect(dan.chats).toEqual([]);
    expect(dan.whatsapp).toEqual([]);
    expect(JSON.stringify(dan)).not.toMatch(/hello alice|secret to bob|shared line/);
  });

  it('when a device is deleted or a membership ends, then its chats leave the card', async () => {
    const w = await world();
    await t.db('device_members').where({ device_id: w.dS.id }).delete();
    expect((await http.get(`/api/contacts/${w.contact.id}/card`, { token: w.tok.carol })).body.chats).toEqual([]);
    await t.db('devices').where({ id: w.dB.id }).update({ deleted_at: new Date() });
    expect((await http.get(`/api/contacts/${w.contact.id}/card`, { token: w.tok.bob })).body.chats).toEqual([]);
  });

  it('when the contact belongs to another org or is deleted, then 404', async () => {
    const w = await world();
    const other = await world();
    expect((await http.get(`/api/contacts/${w.contact.id}/card`, { token: other.tok.dan })).status).toBe(404);
    await http.del(`/api/contacts/${w.contact.id}`, { token: w.tok.alice });
    expect((await http.get(`/api/contacts/${w.contact.id}/card`, { token: w.tok.alice })).status).toBe(404);
    expect((await http.get(`/api/contacts/${w.contact.id}/stats`, { token: w.tok.alice })).status).toBe(404);
  });
});

describe('GET /api/contacts/:id/stats', () => {
  it('when the conversation has questions and answers, then counts, first/last contact and the median reply time are over the visible chats only', async () => {
    const w = await world();
    const at = (m: number) => new Date(Date.UTC(2026, 0, 1, 10, m)).toISOString();
    // Alice's chat: in 10:00, in 10:01, out 10:04 (reply 4 min from the first unanswered), in 10:10, out 10:12 (2 min), out 10:13.
    for (const [dir, m] of [['in', 0], ['in', 1], ['out', 4], ['in', 10], ['out', 12], ['out', 13]] as const) await makeMessage(t.db, w.dA, w.chatA.id, dir, at(m));
    // Shared line: in 11:00, out 11:10 (10 min).
    await makeMessage(t.db, w.dS, w.chatS.id, 'in', at(60));
    await makeMessage(t.db, w.dS, w.chatS.id, 'out', at(70));
    // Bob's chat, invisible to alice: would change every figure.
    await makeMessage(t.db, w.dB, w.chatB.id, 'in', at(-600));
    await makeMessage(t.db, w.dB, w.chatB.id, 'out', at(900));
    // A deleted message does not count.
    const del = await makeMessage(t.db, w.dA, w.chatA.id, 'in', at(200));
    await t.db('messages').where({ id: del.id }).update({ deleted_at: new Date() });

    const s = await http.get(`/api/contacts/${w.contact.id}/stats`, { token: w.tok.alice });
    expect(s.status).toBe(200);
    expect(s.body).toEqual({
      chats: 2,
      messagesIn: 4,
      messagesOut: 4,
      firstContactAt: at(0),
      lastContactAt: at(70),
      medianReplySeconds: 240, // replies 4, 2, 10 minutes
      replies: 3,
    });
    const dan = await http.get(`/api/contacts/${w.contact.id}/stats`, { token: w.tok.dan });
    expect(dan.body).toEqual({ chats: 0, messagesIn: 0, messagesOut: 0, firstContactAt: null, lastContactAt: null, medianReplySeconds: null, replies: 0 });
    const bob = await http.get(`/api/contacts/${w.contact.id}/stats`, { token: w.tok.bob });
    expect(bob.body).toMatchObject({ chats: 1, messagesIn: 1, messagesOut: 1, medianReplySeconds: 1500 * 60 });
  });
});
