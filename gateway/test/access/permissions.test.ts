import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { makeUser } from '../support/factories.js';
import { EVERYONE, makeChat, makeMessage, makeWorld, type Who, type World } from '../conversations/world.js';
import { append, liveSocket, openSocket, sleep, type TestSocket } from '../realtime/ws.support.js';
import type { EventType } from '../../src/features/realtime/realtime.schemas.js';
import {
  PERMISSIONS,
  allows,
  chatRelation,
  deviceRelation,
  eventPermission,
  permissionBindings,
  permissionSql,
  type Permission,
} from '../../src/features/access/access.policy.js';
import type { Role } from '../../src/platform/http/auth-context.js';

/**
 * Every permission × every kind of principal, answered by the one access module (access.policy.ts)
 * and seen the same way over HTTP (one object), in lists (its SQL fragment) and on the socket.
 *
 * The table below is DESIGN.md's Access section written out; nothing in it is read from the module.
 * Principals: the device's owner, a member agent, a member viewer, the grantee of a read-only share
 * of one chat, a colleague of the same org with nothing to do with the device, the org admin (no
 * membership), an admin of another org, and nobody (no token).
 */
type Principal = Who | 'anonymous';
const PRINCIPALS: Principal[] = [...EVERYONE, 'anonymous'];
const ORG_WIDE_EDITORS: Principal[] = ['owner', 'agent', 'grantee', 'colleague', 'admin', 'outsider']; // role admin or editor, in their own org

const EXPECTED: Record<Permission, Principal[]> = {
  'chat.read': ['owner', 'agent', 'viewer', 'grantee'],
  'chat.send': ['owner', 'agent'],
  'chat.share': ['owner', 'agent'],
  'chat.share.read': ['owner', 'agent', 'viewer'],
  'message.delete': ['owner', 'agent'],
  'device.read': ['owner', 'agent', 'viewer', 'admin'],
  'device.manage': ['owner', 'admin'],
  'device.pair': ['owner'],
  'device.create': ORG_WIDE_EDITORS,
  'device.sync': ['owner', 'agent', 'admin'],
  'device.passthrough': ['owner', 'agent', 'viewer'],
  'device.passthrough.write': ['owner', 'agent'],
  'contact.read': ['owner', 'agent', 'viewer', 'grantee', 'colleague', 'admin', 'outsider'],
  'contact.edit': ORG_WIDE_EDITORS,
  'tag.manage': ORG_WIDE_EDITORS,
  'user.manage': ['admin', 'outsider'],
  'audit.read': ['admin', 'outsider'],
};

let t: TestApp;
let w: World;
let chat: { id: number; jid: string }; // on the world's device, shared with the grantee
const ROLE: Record<Principal, Role | null> = {} as never;

beforeAll(async () => {
  t = await startTestApp({}, { validateEvents: false }); // the socket probes push made-up payloads
  w = await makeWorld(t.db, t.url);
  chat = await makeChat(t.db, w.device, '4915100000042@s.whatsapp.net', 'Shared customer');
  await makeMessage(t.db, w.device, chat, { body: 'hello there', at: '2026-03-01T10:00:00Z' });
  await t.db('chat_shares').insert({ org_id: w.org.id, chat_id: chat.id, grantee_id: w.users.grantee.id, granted_by: w.users.owner.id });
  for (const who of EVERYONE) ROLE[who] = w.users[who].role;
  ROLE.anonymous = null;
}, 60_000);
afterAll(() => t?.close());

const userOf = (who: Principal) => (who === 'anonymous' ? null : { id: w.users[who].id, orgId: w.users[who].org_id, role: w.users[who].role });
const token = (who: Principal) => (who === 'anonymous' ? {} : { token: w.tokens[who] });

/** The module's own answer for one principal: its relation to the chat (chat permissions) or device. */
async function moduleSays(p: Permission, who: Principal): Promise<boolean> {
  const u = userOf(who);
  if (!u) return allows(p, null);
  const relation = p.startsWith('chat.') || p === 'message.delete' ? await chatRelation(t.db, u, chat.id) : await deviceRelation(t.db, u, w.device.id);
  return allows(p, u.role, relation);
}

/**
 * One real call per permission; `true` when the server let it through. A refusal is 401, 403, or a
 * 404 that hides the object (`not_found`, or the passthrough's `no_device`); anything else (200, a 400
 * for the deliberately empty body behind an org-wide check, an engine's error) got past the policy.
 */
async function httpSays(p: Permission, who: Principal): Promise<boolean> {
  const o = token(who);
  const h = w.http;
  const dev = `/api/devices/${w.device.id}`;
  let r: { status: number; body: any };
  switch (p) {
    case 'chat.read': r = await h.get(`/api/chats/${chat.id}`, o); break;
    case 'chat.send': {
      // Through the outbox's single-statement permission check, and the read receipt that speaks for the number.
      const send = await h.post(`/api/chats/${chat.id}/messages`, { ...o, body: { clientId: randomBytes(8).toString('hex'), text: 'hi' } });
      const read = await h.post(`/api/chats/${chat.id}/read`, o);
      expect(refused(read), `mark-read for ${who} agrees with send`).toBe(refused(send));
      r = send;
      break;
    }
    case 'chat.share': {
      const target = await makeUser(t.db, w.org.id, 'viewer');
      r = await h.post(`/api/chats/${chat.id}/shares`, { ...o, body: { userId: target.id } });
      break;
    }
    case 'chat.share.read': r = await h.get(`/api/chats/${chat.id}/shares`, o); break;
    case 'message.delete': {
      const m = await makeMessage(t.db, w.device, chat, { body: 'to delete', at: '2026-03-01T09:00:00Z' });
      r = await h.del(`/api/messages/${m.id}`, o);
      break;
    }
    case 'device.read': r = await h.get(dev, o); break;
    case 'device.manage': r = await h.put(dev, { ...o, body: { name: 'Sales line' } }); break;
    case 'device.pair': r = await h.get(`${dev}/qr`, o); break;
    case 'device.create': r = await h.post('/api/devices', { ...o, body: {} }); break;
    case 'device.sync': r = await h.post(`${dev}/sync`, o); break;
    case 'device.passthrough': r = await h.get('/api/whatsapp/api/contacts/all', { ...o, headers: { 'x-device-id': w.device.id } }); break;
    case 'device.passthrough.write':
      r = await h.post('/api/whatsapp/api/sendText', { ...o, headers: { 'x-device-id': w.device.id }, body: { chatId: chat.jid, text: 'hi' } });
      break;
    case 'contact.read': r = await h.get('/api/contacts', o); break;
    case 'contact.edit': r = await h.post('/api/contacts', { ...o, body: {} }); break;
    case 'tag.manage': r = await h.post('/api/tags', { ...o, body: {} }); break;
    case 'user.manage': r = await h.get('/api/users', o); break;
    case 'audit.read': r = await h.get('/api/audit', o); break;
  }
  if (who === 'anonymous') expect(r.status, `anonymous ${p}`).toBe(401);
  return !refused(r);
}
const refused = (r: { status: number; body: any }) =>
  r.status === 401 || r.status === 403 || (r.status === 404 && ['not_found', 'no_device'].includes(r.body?.error?.code));

/** The module's SQL fragment for lists, run for one principal on the world's chat and device. */
async function sqlSays(p: Permission, who: Principal): Promise<boolean> {
  const u = userOf(who);
  if (!u) return false;
  const { rows } = await t.db.raw(`SELECT 1 FROM chats c JOIN devices d ON d.id = c.device_id WHERE c.id = ? AND ${permissionSql(p)}`, [chat.id, ...permissionBindings(p, u)]);
  return rows.length > 0;
}

describe('access: every permission × principal', () => {
  it('when the module is asked for one object, then it answers exactly the table', async () => {
    for (const p of PERMISSIONS) {
      const got = [];
      for (const who of PRINCIPALS) if (await moduleSays(p, who)) got.push(who);
      expect(got, p).toEqual(EXPECTED[p]);
    }
    expect(Object.keys(EXPECTED).sort()).toEqual([...PERMISSIONS].sort());
  });

  it('when each principal makes the call behind each permission over HTTP, then exactly the table gets through', async () => {
    for (const p of PERMISSIONS) {
      const got = [];
      for (const who of PRINCIPALS) if (await httpSays(p, who)) got.push(who);
      expect(got, p).toEqual(EXPECTED[p]);
    }
  }, 120_000);

  it('when a list is filtered by the module’s SQL fragment, then it holds the object for exactly the table (outsiders: never the other org’s)', async () => {
    for (const p of PERMISSIONS) {
      const got = [];
      for (const who of PRINCIPALS) if (await sqlSays(p, who)) got.push(who);
      // Org-wide permissions held in another org never reach this org's rows.
      expect(got, p).toEqual(EXPECTED[p].filter((who) => who !== 'outsider'));
    }
  });

  it('when each principal lists chats and devices, then the lists agree with chat.read and device.read', async () => {
    for (const who of EVERYONE) {
      const chats = await w.http.get('/api/chats', token(who));
      const devices = await w.http.get('/api/devices', token(who));
      expect(chats.body.items.some((c: { id: number }) => c.id === chat.id), `${who} chats`).toBe(EXPECTED['chat.read'].includes(who));
      expect(devices.body.items.some((d: { id: string }) => d.id === w.device.id), `${who} devices`).toBe(EXPECTED['device.read'].includes(who));
    }
    expect((await w.http.get('/api/chats')).status).toBe(401);
  });

  it('when events of each kind are pushed, then each socket gets exactly those its permission allows, and nobody without a token connects', async () => {
    const sockets = {} as Record<Who, TestSocket>;
    for (const who of EVERYONE) sockets[who] = await liveSocket(t.url, w.tokens[who]);
    const anonymous = await openSocket(t.url, null);
    try {
      const other = await makeUser(t.db, w.org.id, 'viewer');
      const marker = randomBytes(4).toString('hex');
      const base = { orgId: w.org.id, deviceId: w.device.id };
      await append(t.db, [
        { ...base, chatId: chat.id, type: 'message.created', data: { marker } },
        { ...base, chatId: chat.id, type: 'chat.updated', data: { marker } },
        { ...base, type: 'device.status', data: { marker } },
        { ...base, chatId: chat.id, type: 'share.created', data: { marker, chatId: chat.id, granteeId: other.id } },
        { orgId: w.org.id, type: 'contact.updated', data: { marker } },
      ]);
      const expected: Record<string, Principal[]> = {
        'message.created': EXPECTED['chat.read'],
        'chat.updated': EXPECTED['chat.read'],
        'device.status': ['owner', 'agent', 'viewer'], // chat.read through the device: a grantee of one chat is not told of the phone
        'share.created': EXPECTED['chat.share'],
        'contact.updated': EXPECTED['contact.read'].filter((who) => who !== 'outsider'),
      };
      for (const [type, people] of Object.entries(expected)) {
        for (const who of people) if (who !== 'anonymous') await sockets[who].waitFor((f) => f.type === type && f.data?.marker === marker, 10_000, `${who} gets ${type}`);
      }
      await sleep(300); // room for a wrong delivery to show up
      for (const [type, people] of Object.entries(expected)) {
        const got = EVERYONE.filter((who) => sockets[who].events(type).some((f) => f.data?.marker === marker));
        expect(got, type).toEqual(people);
        // The module's rule for the event agrees (relations as the module computes them).
        const perm = eventPermission(type as EventType);
        const byModule = [];
        for (const who of EVERYONE) {
          const u = userOf(who)!;
          const relation = type === 'device.status' ? await deviceRelation(t.db, u, w.device.id) : await chatRelation(t.db, u, chat.id);
          // An org admin's device relation gives nothing on socket events (they read no chats).
          if (allows(perm, u.role, perm === 'contact.read' ? null : relation === 'admin' ? null : relation) && (perm !== 'contact.read' || u.orgId === w.org.id)) byModule.push(who);
        }
        expect(byModule, `module on ${type}`).toEqual(people.filter((who) => !(type === 'device.status' && who === 'grantee')));
      }
      expect(anonymous.events().length).toBe(0);
      expect(anonymous.frames.some((f) => f.type === 'ready')).toBe(false);
    } finally {
      for (const s of Object.values(sockets)) await s.close();
      await anonymous.close();
    }
  }, 60_000);
});
