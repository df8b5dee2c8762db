import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { makeUser } from '../support/factories.js';
import { makeChat, makeMessage, makeWorld, type World } from './world.js';

let t: TestApp;
let w: World;
let chat: { id: number; jid: string };
beforeAll(async () => {
  t = await startTestApp();
  w = await makeWorld(t.db, t.url);
  chat = await makeChat(t.db, w.device, '4915300000001@s.whatsapp.net', 'Shared deal');
  await makeMessage(t.db, w.device, chat, { body: 'the deal is on', at: '2026-03-01T10:00:00Z' });
});
afterAll(() => t.close());

const audit = (action: string) => t.db('audit_log').where({ org_id: w.org.id, action }).orderBy('created_at', 'desc');
const event = (type: string) => t.db('events').where({ chat_id: chat.id, type }).orderBy('id', 'desc').first();

describe('shares', () => {
  it('when the owner shares a chat, then the grantee reads it at once, the share is audited and announced', async () => {
    const r = await w.http.post(`/api/chats/${chat.id}/shares`, { token: w.tokens.owner, body: { userId: w.users.grantee.id } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ chatId: chat.id, userId: w.users.grantee.id, name: 'Greta Grantee', grantedBy: w.users.owner.id });
    expect((await w.http.get(`/api/chats/${chat.id}/messages`, { token: w.tokens.grantee })).body.items.map((m: { body: string }) => m.body)).toEqual(['the deal is on']);
    expect((await audit('chat.share'))[0]).toMatchObject({ actor_id: w.users.owner.id, target_type: 'chat', target_id: String(chat.id) });
    expect((await audit('chat.share'))[0].details).toMatchObject({ granteeId: w.users.grantee.id });
    expect((await event('share.created')).data).toMatchObject({ chatId: chat.id, granteeId: w.users.grantee.id });
    const list = await w.http.get(`/api/chats/${chat.id}/shares`, { token: w.tokens.viewer });
    expect(list.body.items.map((s: { userId: string }) => s.userId)).toEqual([w.users.grantee.id]);
  });

  it('when sharing with someone who already sees the chat, or who is not an active person of the org, then 409 or 404', async () => {
    const again = await w.http.post(`/api/chats/${chat.id}/shares`, { token: w.tokens.agent, body: { userId: w.users.grantee.id } });
    expect([again.status, again.body.error.code]).toEqual([409, 'already_visible']);
    expect((await w.http.post(`/api/chats/${chat.id}/shares`, { token: w.tokens.owner, body: { userId: w.users.viewer.id } })).status).toBe(409);
    expect((await w.http.post(`/api/chats/${chat.id}/shares`, { token: w.tokens.owner, body: { userId: w.users.owner.id } })).status).toBe(409);
    expect((await w.http.post(`/api/chats/${chat.id}/shares`, { token: w.tokens.owner, body: { userId: w.users.outsider.id } })).status).toBe(404);
    const gone = await makeUser(t.db, w.org.id, 'viewer');
    await t.db('users').where({ id: gone.id }).update({ deleted_at: new Date() });
    expect((await w.http.post(`/api/chats/${chat.id}/shares`, { token: w.tokens.owner, body: { userId: gone.id } })).status).toBe(404);
    expect((await w.http.post(`/api/chats/${chat.id}/shares`, { token: w.tokens.owner, body: { userId: 'nope' } })).status).toBe(400);
  });

  it('when the share is revoked, then the grantee loses the chat on the very next request, and the revocation is audited and announced', async () => {
    expect((await w.http.del(`/api/chats/${chat.id}/shares/${w.users.grantee.id}`, { token: w.tokens.agent })).status).toBe(204);
    expect((await w.http.get(`/api/chats/${chat.id}`, { token: w.tokens.grantee })).status).toBe(404);
    expect((await w.http.get(`/api/chats`, { token: w.tokens.grantee })).body.items).toEqual([]);
    expect((await w.http.get(`/api/search?q=deal`, { token: w.tokens.grantee })).body.items).toEqual([]);
    expect((await w.http.get(`/api/shared-with-me`, { token: w.tokens.grantee })).body.items).toEqual([]);
    expect((await audit('chat.unshare'))[0]).toMatchObject({ actor_id: w.users.agent.id, target_id: String(chat.id) });
    expect((await event('share.revoked')).data).toMatchObject({ chatId: chat.id, granteeId: w.users.grantee.id });
    expect((await w.http.del(`/api/chats/${chat.id}/shares/${w.users.grantee.id}`, { token: w.tokens.agent })).status).toBe(404);
  });
});

describe('deleting a message', () => {
  it('when an agent deletes a message, then it is hidden for the whole org everywhere, audited, and the chat preview moves back', async () => {
    const older = await makeMessage(t.db, w.device, chat, { body: 'older words', at: '2026-03-02T10:00:00Z' });
    const last = await makeMessage(t.db, w.device, chat, { body: 'regrettable words', at: '2026-03-02T11:00:00Z' });
    expect((await w.http.get(`/api/chats/${chat.id}`, { token: w.tokens.owner })).body.lastMessagePreview).toBe('regrettable words');

    expect((await w.http.del(`/api/messages/${last.id}`, { token: w.tokens.agent })).status).toBe(204);
    for (const who of ['owner', 'agent', 'viewer'] as const) {
      const token = w.tokens[who];
      expect((await w.http.get(`/api/messages/${last.id}`, { token })).status).toBe(404);
      expect((await w.http.get(`/api/chats/${chat.id}/messages`, { token })).body.items.map((m: { id: number }) => m.id)).not.toContain(last.id);
      expect((await w.http.get(`/api/messages`, { token })).body.items.map((m: { id: number }) => m.id)).not.toContain(last.id);
      expect((await w.http.get(`/api/search?q=regrettable`, { token })).body.items).toEqual([]);
    }
    const c = (await w.http.get(`/api/chats/${chat.id}`, { token: w.tokens.owner })).body;
    expect([c.lastMessageId, c.lastMessagePreview]).toEqual([older.id, 'older words']);
    expect((await audit('message.delete'))[0]).toMatchObject({ actor_id: w.users.agent.id, target_type: 'message', target_id: String(last.id) });
    const ev = await t.db('events').where({ chat_id: chat.id, type: 'message.updated' }).orderBy('id', 'desc').first();
    expect(ev.data).toMatchObject({ id: last.id, deleted: true });
    const stats = (await w.http.get('/api/messages/stats?since=2026-03-01T00:00:00Z&until=2026-03-03T00:00:00Z', { token: w.tokens.owner })).body;
    expect(stats.total).toBe(2);
    expect((await w.http.del(`/api/messages/${last.id}`, { token: w.tokens.owner })).status).toBe(404);
  });
});
