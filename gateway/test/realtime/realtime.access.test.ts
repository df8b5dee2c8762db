import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineEnv, eventually, control, type EngineEnv } from '../support/engine-env.js';
import { makeOrg, makeUser } from '../support/factories.js';
import { append, liveSocket, sleep, type TestSocket } from './ws.support.js';

/**
 * The socket's access matrix over the real path: a contact writes on the simulator, the engine posts
 * its signed webhook, the gateway stores it and pushes it to exactly the people allowed to see it.
 */
let env: EngineEnv;
let device: { id: string; engineSession: string };
const people: Record<string, { id: string; token: string }> = {};
const sockets: Record<string, TestSocket> = {};
let chatId: number;

const FROM = '4915112345678';
const ROLES = ['owner', 'agent', 'viewer', 'grantee', 'stranger', 'admin', 'outsider'] as const;
type Who = (typeof ROLES)[number] | 'owner2';

async function inbound(body: string) {
  const r = await control(env.sim).post(`/sessions/${device.engineSession}/inbound`, { body: { from: FROM, body, pushName: 'Carla' } });
  expect(r.status).toBeLessThan(300);
}

const created = (s: TestSocket, body: string) => s.events('message.created').filter((f) => f.data.body === body);

/** Sends one inbound message and waits until every socket that should have it has it, then a little longer. */
async function deliverOnce(body: string, expected: Who[]) {
  await inbound(body);
  for (const who of expected) await sockets[who]!.waitFor((f) => f.type === 'message.created' && f.data.body === body, 10_000, `${who} gets ${body}`);
  await sleep(300); // room for a wrong delivery or a duplicate to show up
  const got: Record<string, number> = {};
  for (const who of Object.keys(sockets)) got[who] = created(sockets[who]!, body).length;
  return got;
}

beforeAll(async () => {
  env = await startEngineEnv({}, { validateEvents: false }); // made-up payloads: the audience is under test
  const db = env.t.db;
  people.owner = { id: env.owner.id, token: env.owner.token };
  const add = async (who: string, role: 'admin' | 'editor' | 'viewer', orgId = env.org.id) => {
    const u = await makeUser(db, orgId, role);
    people[who] = { id: u.id, token: await env.login(u.email) };
  };
  await add('agent', 'editor');
  await add('viewer', 'viewer');
  await add('grantee', 'viewer');
  await add('stranger', 'editor');
  await add('admin', 'admin');
  await add('outsider', 'editor', (await makeOrg(db)).id);

  const d = (await env.http.post('/api/devices', { token: env.owner.token, body: { name: 'Shared number', engine: 'waha' } })).body;
  await eventually(async () => (await env.http.get(`/api/devices/${d.id}/qr`, { token: env.owner.token })).body.qr, 10_000, 'qr');
  await control(env.sim).post(`/sessions/${d.engineSession}/scan`, {});
  await eventually(async () => (await env.http.get(`/api/devices/${d.id}`, { token: env.owner.token })).body.status === 'connected', 10_000, 'connected');
  device = d;
  for (const [who, role] of [['agent', 'agent'], ['viewer', 'viewer']] as const) {
    const r = await env.http.post(`/api/devices/${d.id}/members`, { token: env.owner.token, body: { userId: people[who]!.id, role } });
    expect(r.status).toBe(200);
  }
  // The chat exists once its first message is stored; share it read-only with the grantee.
  await inbound('hello, first message');
  const chat = await eventually(() => db('chats').where({ device_id: d.id }).first(), 10_000, 'chat');
  chatId = Number(chat.id);
  await db('chat_shares').insert({ org_id: env.org.id, chat_id: chatId, grantee_id: people.grantee!.id, granted_by: env.owner.id });

  for (const who of ROLES) sockets[who] = await liveSocket(env.t.url, people[who]!.token);
  sockets.owner2 = await liveSocket(env.t.url, env.owner.token, { auth: 'message' });
});
afterAll(async () => {
  for (const s of Object.values(sockets)) await s.close();
  await env.close();
});

describe('/ws: who receives a chat event', () => {
  it('when a contact writes, then owner (both tabs), member agent, member viewer and share grantee get it once; another user of the org, the org admin and a user of another org do not', async () => {
    const got = await deliverOnce('matrix message', ['owner', 'owner2', 'agent', 'viewer', 'grantee']);
    expect(got).toEqual({ owner: 1, owner2: 1, agent: 1, viewer: 1, grantee: 1, stranger: 0, admin: 0, outsider: 0 });
    const frame = created(sockets.owner!, 'matrix message')[0]!;
    expect(frame.seq).toBeTypeOf('number');
    expect(frame.data).toMatchObject({ chatId, deviceId: device.id, direction: 'in', body: 'matrix message' });
    // The chat's new state comes along, to the same people.
    const chatUpdate = await sockets.grantee!.waitFor((f) => f.type === 'chat.updated' && f.data.lastMessagePreview?.includes('matrix message'));
    expect(chatUpdate.seq).toBeGreaterThan(frame.seq!);
    expect(sockets.stranger!.events('chat.updated')).toEqual([]);
  });

  it('when events arrive, then each socket sees seq strictly increasing', () => {
    for (const s of Object.values(sockets)) {
      const seqs = s.events().map((f) => f.seq!);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
    }
  });

  it('when the share is revoked, then the next event no longer reaches the former grantee', async () => {
    await env.t.db('chat_shares').where({ chat_id: chatId, grantee_id: people.grantee!.id }).del();
    const got = await deliverOnce('after revoke', ['owner', 'agent', 'viewer']);
    expect(got).toMatchObject({ owner: 1, owner2: 1, agent: 1, viewer: 1, grantee: 0, stranger: 0, admin: 0, outsider: 0 });
    await env.t.db('chat_shares').insert({ org_id: env.org.id, chat_id: chatId, grantee_id: people.grantee!.id, granted_by: env.owner.id });
  });

  it('when a member is removed from the device, then the next event no longer reaches them', async () => {
    await env.t.db('device_members').where({ device_id: device.id, user_id: people.viewer!.id }).del();
    const got = await deliverOnce('after removal', ['owner', 'agent', 'grantee']);
    expect(got).toMatchObject({ viewer: 0, grantee: 1, agent: 1 });
    await env.t.db('device_members').insert({ device_id: device.id, user_id: people.viewer!.id, role: 'viewer' });
  });
});

describe('/ws: who receives the other event types', () => {
  const seen = (type: string, pick: (f: any) => boolean) => {
    const out: Record<string, number> = {};
    for (const [who, s] of Object.entries(sockets)) out[who] = s.events(type).filter((f) => pick(f.data)).length;
    return out;
  };

  it('when a share is created or revoked, then the grantee and the people who manage the chat (owner, agent) are told; viewers and the rest are not', async () => {
    for (const type of ['share.created', 'share.revoked'] as const) {
      await append(env.t.db, [{ orgId: env.org.id, deviceId: device.id, chatId, type, data: { chatId, granteeId: people.grantee!.id, grantedBy: env.owner.id } }]);
      await sockets.grantee!.waitFor((f) => f.type === type);
      await sockets.agent!.waitFor((f) => f.type === type);
      await sleep(200);
      expect(seen(type, () => true)).toEqual({ owner: 1, owner2: 1, agent: 1, viewer: 0, grantee: 1, stranger: 0, admin: 0, outsider: 0 });
    }
  });

  it('when a device status changes, then its owner and members get it and nobody else (grantees see chats, not the device)', async () => {
    await append(env.t.db, [{ orgId: env.org.id, deviceId: device.id, type: 'device.status', data: { deviceId: device.id, status: 'connected', previous: 'connecting' } }]);
    await sockets.viewer!.waitFor((f) => f.type === 'device.status');
    await sleep(200);
    expect(seen('device.status', (d) => d.previous === 'connecting')).toEqual({ owner: 1, owner2: 1, agent: 1, viewer: 1, grantee: 0, stranger: 0, admin: 0, outsider: 0 });
  });

  it('when an org contact changes, then every user of that org gets it and a user of another org does not', async () => {
    await append(env.t.db, [{ orgId: env.org.id, type: 'contact.updated', data: { id: 'c-1', name: 'Carla' } }]);
    await sockets.stranger!.waitFor((f) => f.type === 'contact.updated');
    await sleep(200);
    expect(seen('contact.updated', () => true)).toEqual({ owner: 1, owner2: 1, agent: 1, viewer: 1, grantee: 1, stranger: 1, admin: 1, outsider: 0 });
  });

  it('when the device is deleted, then its chat events reach nobody', async () => {
    await env.t.db('devices').where({ id: device.id }).update({ deleted_at: new Date() });
    await append(env.t.db, [{ orgId: env.org.id, deviceId: device.id, chatId, type: 'chat.updated', data: { id: chatId, marker: 'gone' } }]);
    await append(env.t.db, [{ orgId: env.org.id, type: 'contact.updated', data: { id: 'c-2' } }]); // a later event, as a fence
    await sockets.owner!.waitFor((f) => f.type === 'contact.updated' && f.data.id === 'c-2');
    await sleep(100);
    expect(seen('chat.updated', (d) => d.marker === 'gone')).toEqual({ owner: 0, owner2: 0, agent: 0, viewer: 0, grantee: 0, stranger: 0, admin: 0, outsider: 0 });
    await env.t.db('devices').where({ id: device.id }).update({ deleted_at: null });
  });
});
