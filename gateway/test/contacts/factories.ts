import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { Db } from '../../src/platform/db/knex.js';
import { client } from '../support/http.js';
import { PASSWORD } from '../support/factories.js';

/** Rows the engines would write (devices, members, WhatsApp contacts, LID map, chats, messages), inserted directly. */

export async function login(http: ReturnType<typeof client>, email: string): Promise<string> {
  const r = await http.post('/api/auth/login', { body: { email, password: PASSWORD } });
  expect(r.status).toBe(200);
  return r.body.accessToken as string;
}

export async function makeDevice(db: Db, orgId: string, ownerId: string, over: { name?: string } = {}) {
  const [d] = await db('devices')
    .insert({
      org_id: orgId,
      owner_id: ownerId,
      name: over.name ?? `Phone ${randomBytes(2).toString('hex')}`,
      engine: 'waha',
      engine_session: `s-${randomBytes(6).toString('hex')}`,
      webhook_secret: randomBytes(16).toString('hex'),
      status: 'connected',
    })
    .returning('*');
  return d as { id: string; org_id: string; owner_id: string; name: string };
}

export const addMember = (db: Db, deviceId: string, userId: string, role: 'agent' | 'viewer' = 'viewer') =>
  db('device_members').insert({ device_id: deviceId, user_id: userId, role });

/** As the ingest writes it: no phone_e164 (the trigger derives it). */
export async function makeWaContact(db: Db, device: { id: string; org_id: string }, jid: string, names: { push?: string; full?: string; business?: string } = {}) {
  const [w] = await db('wa_contacts')
    .insert({ org_id: device.org_id, device_id: device.id, jid, push_name: names.push ?? null, full_name: names.full ?? null, business_name: names.business ?? null })
    .onConflict(['device_id', 'jid'])
    .merge()
    .returning('*');
  return w as { id: number; jid: string; phone_e164: string | null };
}

export const mapLid = (db: Db, deviceId: string, lid: string, phoneJid: string) =>
  db('lid_map').insert({ device_id: deviceId, lid, phone_jid: phoneJid }).onConflict(['device_id', 'lid']).merge();

export async function makeChat(db: Db, device: { id: string; org_id: string }, jid: string, name: string | null = null) {
  const [c] = await db('chats')
    .insert({ org_id: device.org_id, device_id: device.id, jid, name, is_group: jid.endsWith('@g.us') })
    .returning('*');
  return c as { id: number; jid: string };
}

export async function makeMessage(db: Db, device: { id: string; org_id: string }, chatId: number, direction: 'in' | 'out', sentAt: Date | string, body = 'hi') {
  const [m] = await db('messages')
    .insert({
      org_id: device.org_id,
      device_id: device.id,
      chat_id: chatId,
      engine_message_id: randomBytes(8).toString('hex'),
      direction,
      body,
      ack: direction === 'out' ? 2 : 0,
      sent_at: new Date(sentAt),
    })
    .returning('*');
  await db('chats').where({ id: chatId }).update({ last_message_at: m.sent_at, last_message_id: m.id, last_message_preview: body });
  return m as { id: number };
}

/** A fresh valid mobile number (German mobile range), E.164 and its JID. */
let seq = 0;
export function freshNumber() {
  const n = `+49151${String(Date.now() % 1e6).padStart(6, '0')}${String(seq++ % 100).padStart(2, '0')}`;
  return { e164: n, jid: `${n.slice(1)}@s.whatsapp.net` };
}
