import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { client } from '../support/http.js';
import { makeOrg, makeUser } from '../support/factories.js';
import { login, makeChat, makeDevice } from './factories.js';

let t: TestApp;
let http: ReturnType<typeof client>;
let org: { id: string };
const tok: Record<string, string> = {};
const people: Record<string, { id: string; email: string }> = {};

beforeAll(async () => {
  t = await startTestApp({ LOGIN_RATE_MAX_PER_EMAIL: '1000', LOGIN_RATE_MAX_PER_IP: '1000' });
  http = client(t.url);
  org = await makeOrg(t.db);
  const other = await makeOrg(t.db);
  for (const role of ['admin', 'editor', 'viewer'] as const) people[role] = await makeUser(t.db, org.id, role);
  people.otherAdmin = await makeUser(t.db, other.id, 'admin');
  for (const [k, u] of Object.entries(people)) tok[k] = await login(http, u.email);
});
afterAll(() => t.close());

const contact = async (name: string, phone: string) => {
  const r = await http.post('/api/contacts', { token: tok.editor, body: { name, phone } });
  expect(r.status).toBe(201);
  return r.body as { id: string };
};

describe('tags', () => {
  it('when a tag is created, renamed, recolored and deleted, then contacts follow and the audit log has each step', async () => {
    const created = await http.post('/api/tags', { token: tok.editor, body: { name: 'Lead', color: '#00AA00' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Lead', color: '#00aa00', contactCount: 0 });
    const tag = created.body.id;
    const c = await contact('Tagged', '+1 202 555 0101');
    const set = await http.put(`/api/contacts/${c.id}/tags`, { token: tok.editor, body: { tagIds: [tag] } });
    expect(set.status).toBe(200);
    expect(set.body.tags).toEqual([{ id: tag, name: 'Lead', color: '#00aa00' }]);
    const renamed = await http.put(`/api/tags/${tag}`, { token: tok.admin, body: { name: 'Customer' } });
    expect(renamed.body).toMatchObject({ name: 'Customer', color: '#00aa00', contactCount: 1 });
    const recolored = await http.put(`/api/tags/${tag}`, { token: tok.editor, body: { color: '#123456' } });
    expect(recolored.body).toMatchObject({ name: 'Customer', color: '#123456' });
    expect((await http.get(`/api/contacts/${c.id}`, { token: tok.viewer })).body.tags).toEqual([{ id: tag, name: 'Customer', color: '#123456' }]);
    expect((await http.get('/api/tags', { token: tok.viewer })).body.items.find((x: any) => x.id === tag).contactCount).toBe(1);
    expect((await http.del(`/api/tags/${tag}`, { token: tok.editor })).status).toBe(204);
    expect((await http.get(`/api/contacts/${c.id}`, { token: tok.viewer })).body.tags).toEqual([]);
    expect((await http.del(`/api/tags/${tag}`, { token: tok.editor })).status).toBe(404);
    const actions = (await t.db('audit_log').where({ target_id: tag }).orderBy('id')).map((a) => a.action);
    expect(actions).toEqual(['tag.create', 'tag.update', 'tag.update', 'tag.delete']);
    expect((await t.db('audit_log').where({ target_id: c.id, action: 'contact.tags' })).length).toBe(1);
  });

  it('when a name differs only in case, then 409; another org may use it', async () => {
    expect((await http.post('/api/tags', { token: tok.editor, body: { name: 'Partner' } })).status).toBe(201);
    const dup = await http.post('/api/tags', { token: tok.editor, body: { name: 'PARTNER' } });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('tag_exists');
    expect((await http.post('/api/tags', { token: tok.otherAdmin, body: { name: 'partner' } })).status).toBe(201);
    const other = await http.post('/api/tags', { token: tok.editor, body: { name: 'Other' } });
    expect((await http.put(`/api/tags/${other.body.id}`, { token: tok.editor, body: { name: 'partner' } })).status).toBe(409);
  });

  it('when a contact’s tags are set, then they replace the old ones; tags of another org or unknown are 400', async () => {
    const a = (await http.post('/api/tags', { token: tok.editor, body: { name: 'A-tag' } })).body.id;
    const b = (await http.post('/api/tags', { token: tok.editor, body: { name: 'B-tag' } })).body.id;
    const foreign = (await http.post('/api/tags', { token: tok.otherAdmin, body: { name: 'foreign' } })).body.id;
    const c = await contact('Replace', '+1 202 555 0102');
    await http.put(`/api/contacts/${c.id}/tags`, { token: tok.editor, body: { tagIds: [a, b] } });
    const r = await http.put(`/api/contacts/${c.id}/tags`, { token: tok.editor, body: { tagIds: [b] } });
    expect(r.body.tags.map((x: any) => x.name)).toEqual(['B-tag']);
    const bad = await http.put(`/api/contacts/${c.id}/tags`, { token: tok.editor, body: { tagIds: [foreign] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe('tagIds');
    expect((await http.put(`/api/tags/${foreign}`, { token: tok.editor, body: { name: 'mine now' } })).status).toBe(404);
    expect((await http.post('/api/tags', { token: tok.editor, body: { name: 'bad', color: 'red' } })).status).toBe(400);
  });
});

describe('favorites', () => {
  it('when contacts are pinned with and without positions, then the list comes in the user’s order, and it is theirs alone', async () => {
    const [a, b, c, d] = [await contact('Fav A', '+1 202 555 0111'), await contact('Fav B', '+1 202 555 0112'), await contact('Fav C', '+1 202 555 0113'), await contact('Fav D', '+1 202 555 0114')];
    await http.put(`/api/favorites/${a.id}`, { token: tok.viewer });
    await http.put(`/api/favorites/${b.id}`, { token: tok.viewer });
    await http.put(`/api/favorites/${c.id}`, { token: tok.viewer, body: { position: 0 } });
    const r = await http.put(`/api/favorites/${d.id}`, { token: tok.viewer, body: { position: 2 } });
    expect(r.status).toBe(200);
    const names = (x: any) => x.body.items.map((i: any) => i.contact?.name ?? i.chat?.name);
    expect(names(r)).toEqual(['Fav C', 'Fav A', 'Fav D', 'Fav B']);
    // Moving one that is pinned already.
    await http.put(`/api/favorites/${b.id}`, { token: tok.viewer, body: { position: 0 } });
    const list = await http.get('/api/favorites', { token: tok.viewer });
    expect(names(list)).toEqual(['Fav B', 'Fav C', 'Fav A', 'Fav D']);
    expect(list.body.items.map((i: any) => i.position)).toEqual([0, 1, 2, 3]);
    expect((await http.del(`/api/favorites/${c.id}`, { token: tok.viewer })).status).toBe(204);
    expect(names(await http.get('/api/favorites', { token: tok.viewer }))).toEqual(['Fav B', 'Fav A', 'Fav D']);
    expect((await http.del(`/api/favorites/${c.id}`, { token: tok.viewer })).status).toBe(404);
    // Someone else's list is untouched; a deleted contact drops out.
    expect((await http.get('/api/favorites', { token: tok.editor })).body.items).toEqual([]);
    await http.del(`/api/contacts/${a.id}`, { token: tok.editor });
    expect(names(await http.get('/api/favorites', { token: tok.viewer }))).toEqual(['Fav B', 'Fav D']);
    expect((await http.put(`/api/favorites/${a.id}`, { token: tok.viewer })).status).toBe(404);
    expect((await http.put(`/api/favorites/${b.id}`, { token: tok.otherAdmin })).status).toBe(404);
  });

  it('when a chat is pinned, then only a chat the person may see can be, and it leaves the list when access ends', async () => {
    const device = await makeDevice(t.db, org.id, people.editor!.id);
    const chat = await makeChat(t.db, device, '12025550199@s.whatsapp.net', 'Pinned chat');
    expect((await http.put(`/api/favorites/chats/${chat.id}`, { token: tok.admin })).status).toBe(404); // admin, not owner
    const r = await http.put(`/api/favorites/chats/${chat.id}`, { token: tok.editor, body: { position: 0 } });
    expect(r.status).toBe(200);
    expect(r.body.items[0]).toMatchObject({ type: 'chat', chat: { id: chat.id, name: 'Pinned chat', deviceId: device.id } });
    await t.db('devices').where({ id: device.id }).update({ owner_id: people.admin!.id });
    expect((await http.get('/api/favorites', { token: tok.editor })).body.items).toEqual([]);
    expect((await http.del(`/api/favorites/chats/${chat.id}`, { token: tok.editor })).status).toBe(204);
  });
});
