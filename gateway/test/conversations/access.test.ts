import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { makeUser } from '../support/factories.js';
import { EVERYONE, makeChat, makeDevice, makeMessage, makeWorld, type Who, type World } from './world.js';

/**
 * The access matrix: every conversation route, for the owner of the number, a member agent, a member
 * viewer, a share grantee, a colleague with nothing to do with it, the org admin, and a person of
 * another org. Reads of an invisible chat answer 404 (its existence is not revealed), acts of a
 * reader answer 403.
 */
let t: TestApp;
let w: World;
let chatA: { id: number; jid: string }; // on the number, not shared
let chatB: { id: number; jid: string }; // on the number, shared with the grantee
let msgB: { id: number };

beforeAll(async () => {
  t = await startTestApp();
  w = await makeWorld(t.db, t.url);
  chatA = await makeChat(t.db, w.device, '4915100000001@s.whatsapp.net', 'Alpha customer');
  chatB = await makeChat(t.db, w.device, '4915100000002@s.whatsapp.net', 'Beta customer');
  await makeMessage(t.db, w.device, chatA, { body: 'the invoice for alpha', at: '2026-03-01T10:00:00Z' });
  msgB = await makeMessage(t.db, w.device, chatB, { body: 'the invoice for beta', at: '2026-03-01T11:00:00Z' });
  await t.db('chat_shares').insert({ org_id: w.org.id, chat_id: chatB.id, grantee_id: w.users.grantee.id, granted_by: w.users.owner.id });
  // The colleague works their own number; the outsider's org has one too — same words in both.
  const colleagues = await makeDevice(t.db, w.org.id, w.users.colleague.id);
  const chatC = await makeChat(t.db, colleagues, '4915100000003@s.whatsapp.net', 'Gamma');
  await makeMessage(t.db, colleagues, chatC, { body: 'an invoice for gamma', at: '2026-03-01T12:00:00Z' });
  const outsiders = await makeDevice(t.db, w.otherOrg.id, w.users.outsider.id);
  const chatD = await makeChat(t.db, outsiders, '4915100000004@s.whatsapp.net', 'Delta');
  await makeMessage(t.db, outsiders, chatD, { body: 'the invoice for delta', at: '2026-03-01T13:00:00Z' });
});
afterAll(() => t.close());

const as = (who: Who) => ({ token: w.tokens[who] });
const expectAll = async (expected: Record<Who, number>, call: (who: Who) => Promise<{ status: number }>) => {
  const got = {} as Record<Who, number>;
  for (const who of EVERYONE) got[who] = (await call(who)).status;
  expect(got).toEqual(expected);
};
const READ = { owner: 200, agent: 200, viewer: 200, grantee: 200, colleague: 404, admin: 404, outsider: 404 };

describe('conversation access matrix', () => {
  it('when each person opens the shared chat, then the number’s people and the grantee see it, nobody else (404)', async () => {
    await expectAll(READ, (who) => w.http.get(`/api/chats/${chatB.id}`, as(who)));
    const r = await w.http.get(`/api/chats/${chatB.id}`, as('grantee'));
    expect(r.body).toMatchObject({ id: chatB.id, access: 'grantee', name: 'Beta customer' });
    expect((await w.http.get(`/api/chats/${chatB.id}`, as('viewer'))).body.access).toBe('viewer');
  });

  it('when each person reads its messages or one message, then the same people see them', async () => {
    await expectAll(READ, (who) => w.http.get(`/api/chats/${chatB.id}/messages`, as(who)));
    await expectAll(READ, (who) => w.http.get(`/api/messages/${msgB.id}`, as(who)));
  });

  it('when each person lists chats, then each list holds exactly the chats they may see', async () => {
    const lists = {} as Record<Who, number[]>;
    for (const who of EVERYONE) {
      const r = await w.http.get('/api/chats', as(who));
      expect(r.status).toBe(200);
      lists[who] = r.body.items.map((c: { id: number }) => c.id);
    }
    expect(lists.owner.sort()).toEqual([chatA.id, chatB.id].sort());
    expect(lists.agent.sort()).toEqual([chatA.id, chatB.id].sort());
    expect(lists.viewer.sort()).toEqual([chatA.id, chatB.id].sort());
    expect(lists.grantee).toEqual([chatB.id]);
    expect(lists.colleague).not.toContain(chatA.id);
    expect(lists.colleague).not.toContain(chatB.id);
    expect(lists.admin).toEqual([]);
    expect(lists.outsider).toHaveLength(1);
    expect(lists.outsider).not.toContain(chatB.id);
  });

  it('when each person reads the logs, stats and search, then only visible messages count', async () => {
    const bodies = {} as Record<Who, string[]>;
    const totals = {} as Record<Who, number>;
    const found = {} as Record<Who, string[]>;
    const range = 'since=2026-02-01T00:00:00Z&until=2026-04-01T00:00:00Z';
    for (const who of EVERYONE) {
      bodies[who] = (await w.http.get('/api/messages', as(who))).body.items.map((m: { body: string }) => m.body).sort();
      totals[who] = (await w.http.get(`/api/messages/stats?${range}`, as(who))).body.total;
      found[who] = (await w.http.get('/api/search?q=invoice', as(who))).body.items.map((h: { message: { body: string } }) => h.message.body).sort();
    }
    const mine = ['the invoice for alpha', 'the invoice for beta'];
    expect(bodies).toEqual({ owner: mine, agent: mine, viewer: mine, grantee: ['the invoice for beta'], colleague: ['an invoice for gamma'], admin: [], outsider: ['the invoice for delta'] });
    expect(found).toEqual(bodies);
    expect(totals).toEqual({ owner: 2, agent: 2, viewer: 2, grantee: 1, colleague: 1, admin: 0, outsider: 1 });
  });

  it('when each person marks the chat read, then the owner and agents may; viewer and grantee 403; others 404', async () => {
    await expectAll({ owner: 200, agent: 200, viewer: 403, grantee: 403, colleague: 404, admin: 404, outsider: 404 }, (who) =>
      w.http.post(`/api/chats/${chatB.id}/read`, as(who)),
    );
  });

  it('when each person deletes a message, then the owner and agents may; viewer and grantee 403; others 404', async () => {
    await expectAll({ owner: 204, agent: 204, viewer: 403, grantee: 403, colleague: 404, admin: 404, outsider: 404 }, async (who) => {
      const m = await makeMessage(t.db, w.device, chatB, { body: `to delete by ${who}`, at: new Date() });
      return w.http.del(`/api/messages/${m.id}`, as(who));
    });
  });

  it('when each person shares the chat, lists its shares or revokes one, then only the owner and agents manage; the grantee does not even list', async () => {
    await expectAll({ owner: 201, agent: 201, viewer: 403, grantee: 403, colleague: 404, admin: 404, outsider: 404 }, async (who) => {
      const target = await makeUser(t.db, w.org.id, 'viewer');
      return w.http.post(`/api/chats/${chatB.id}/shares`, { ...as(who), body: { userId: target.id } });
    });
    await expectAll({ owner: 200, agent: 200, viewer: 200, grantee: 403, colleague: 404, admin: 404, outsider: 404 }, (who) => w.http.get(`/api/chats/${chatB.id}/shares`, as(who)));
    await expectAll({ owner: 204, agent: 204, viewer: 403, grantee: 403, colleague: 404, admin: 404, outsider: 404 }, async (who) => {
      const target = await makeUser(t.db, w.org.id, 'viewer');
      await t.db('chat_shares').insert({ org_id: w.org.id, chat_id: chatB.id, grantee_id: target.id, granted_by: w.users.owner.id });
      return w.http.del(`/api/chats/${chatB.id}/shares/${target.id}`, as(who));
    });
  });

  it('when each person asks for what was shared with them, then the grantee sees the chat and nobody else does', async () => {
    const r = await w.http.get('/api/shared-with-me', as('grantee'));
    expect(r.status).toBe(200);
    expect(r.body.items.map((i: { chat: { id: number } }) => i.chat.id)).toEqual([chatB.id]);
    expect(r.body.items[0].sharedBy).toMatchObject({ id: w.users.owner.id, name: 'Olivia Owner' });
    for (const who of ['owner', 'colleague', 'admin', 'outsider'] as Who[]) expect((await w.http.get('/api/shared-with-me', as(who))).body.items).toEqual([]);
  });

  it('when nobody is signed in, then every route answers 401', async () => {
    for (const [method, path] of [
      ['get', '/api/chats'],
      ['get', `/api/chats/${chatB.id}`],
      ['get', `/api/chats/${chatB.id}/messages`],
      ['post', `/api/chats/${chatB.id}/read`],
      ['get', '/api/messages'],
      ['get', '/api/messages/stats'],
      ['get', `/api/messages/${msgB.id}`],
      ['delete', `/api/messages/${msgB.id}`],
      ['get', `/api/chats/${chatB.id}/shares`],
      ['get', '/api/shared-with-me'],
      ['get', '/api/search?q=invoice'],
    ] as const) {
      const r = await (method === 'get' ? w.http.get(path) : method === 'post' ? w.http.post(path) : w.http.del(path));
      expect(r.status, `${method} ${path}`).toBe(401);
    }
  });

  it('when an id is unknown or malformed, then reads answer 404 or 400 in the error shape', async () => {
    expect((await w.http.get('/api/chats/999999', as('owner'))).status).toBe(404);
    expect((await w.http.get('/api/messages/999999', as('owner'))).status).toBe(404);
    const bad = await w.http.get('/api/chats/abc', as('owner'));
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    expect((await w.http.get('/api/chats?cursor=nonsense', as('owner'))).status).toBe(400);
  });
});
