import { randomBytes } from 'node:crypto';
import type { Db } from '../../src/platform/db/knex.js';
import { makeOrg, makeUser } from '../support/factories.js';
import { login } from '../contacts/factories.js';
import { client } from '../support/http.js';

/** Rows as the ingest writes them, inserted directly: devices, members, chats, messages, reactions. */

export async function makeDevice(db: Db, orgId: string, ownerId: string, name = `Phone ${randomBytes(2).toString('hex')}`) {
  const [d] = await db('devices')
    .insert({ org_id: orgId, owner_id: ownerId, name, engine: 'waha', engine_session: `s-${randomBytes(6).toString('hex')}`, webhook_secret: 'x', status: 'connected', jid: '4930100000@s.whatsapp.net' })
    .returning('*');
  return d as { id: string; org_id: string };
}

export async function makeChat(db: Db, device: { id: string; org_id: string }, jid: string, name: string | null = null, over: Record<string, unknown> = {}) {
  const [c] = await db('chats')
    .insert({ org_id: device.org_id, device_id: device.id, jid, name, is_group: jid.endsWith('@g.us'), ...over })
    .returning('*');
  return c as { id: number; jid: string; device_id: string };
}

export interface MsgInput {
  direction?: 'in' | 'out';
  body?: string | null;
  at: Date | string;
  ack?: number;
  sender?: string | null;
  revoked?: boolean;
}

/** A message; the chat's last message, preview and unread count follow like the ingest's. */
export async function makeMessage(db: Db, device: { id: string; org_id: string }, chat: { id: number; jid: string }, m: MsgInput) {
  const direction = m.direction ?? 'in';
  const [row] = await db('messages')
    .insert({
      org_id: device.org_id,
      device_id: device.id,
      chat_id: chat.id,
      engine_message_id: randomBytes(8).toString('hex').toUpperCase(),
      direction,
      sender_jid: m.sender !== undefined ? m.sender : direction === 'in' ? chat.jid : '4930100000@s.whatsapp.net',
      body: m.body === undefined ? 'hello' : m.body,
      ack: m.ack ?? (direction === 'out' ? 1 : 0),
      source: 'app',
      sent_at: new Date(m.at),
      revoked_at: m.revoked ? new Date(m.at) : null,
    })
    .returning('*');
  await db.raw(
    `UPDATE chats SET last_message_at = ?, last_message_id = ?, last_message_preview = ?, unread_count = CASE WHEN ? = 'in' THEN unread_count + 1 ELSE 0 END
      WHERE id = ? AND (last_message_at IS NULL OR last_message_at <= ?)`,
    [row.sent_at, row.id, row.body ?? '[text]', direction, chat.id, row.sent_at],
  );
  return row as { id: number; engine_message_id: string; sent_at: Date };
}

export type Who = 'owner' | 'agent' | 'viewer' | 'grantee' | 'colleague' | 'admin' | 'outsider';
export const EVERYONE: Who[] = ['owner', 'agent', 'viewer', 'grantee', 'colleague', 'admin', 'outsider'];

/**
 * One organization with a number owned by `owner`, worked by an agent and a viewer; a colleague
 * with nothing to do with it; the org admin; a person of another org; `grantee` gets shares.
 */
export async function makeWorld(db: Db, base: string) {
  const http = client(base);
  const org = await makeOrg(db);
  const otherOrg = await makeOrg(db);
  const users = {
    owner: await makeUser(db, org.id, 'editor', { name: 'Olivia Owner' }),
    agent: await makeUser(db, org.id, 'editor', { name: 'Adam Agent' }),
    viewer: await makeUser(db, org.id, 'viewer', { name: 'Vera Viewer' }),
    grantee: await makeUser(db, org.id, 'editor', { name: 'Greta Grantee' }),
    colleague: await makeUser(db, org.id, 'editor', { name: 'Colin Colleague' }),
    admin: await makeUser(db, org.id, 'admin', { name: 'Ada Admin' }),
    outsider: await makeUser(db, otherOrg.id, 'admin', { name: 'Otto Outsider' }),
  };
  const device = await makeDevice(db, org.id, users.owner.id, 'Sales line');
  await db('device_members').insert([
    { device_id: device.id, user_id: users.agent.id, role: 'agent' },
    { device_id: device.id, user_id: users.viewer.id, role: 'viewer' },
  ]);
  const tokens = {} as Record<Who, string>;
  for (const w of EVERYONE) tokens[w] = await login(http, users[w].email);
  return { http, org, otherOrg, users, device, tokens };
}
export type World = Awaited<ReturnType<typeof makeWorld>>;
