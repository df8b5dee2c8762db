import type { Knex } from 'knex';
import type { ChatRow } from '../chats/chats.presenter.js';

export interface ShareRow {
  id: number;
  chat_id: number;
  grantee_id: string;
  granted_by: string;
  created_at: Date;
  name: string;
  email: string;
}

export const listForChat = (db: Knex, chatId: number) =>
  db('chat_shares as s')
    .join('users as u', 'u.id', 's.grantee_id')
    .where('s.chat_id', chatId)
    .whereNull('u.deleted_at')
    .orderBy('s.id')
    .select<ShareRow[]>('s.*', 'u.name', 'u.email');

/** Inserts the grant; undefined when it already existed (a concurrent share). */
export async function insertShare(trx: Knex, row: { org_id: string; chat_id: number; grantee_id: string; granted_by: string }) {
  const [r] = await trx('chat_shares').insert(row).onConflict(['chat_id', 'grantee_id']).ignore().returning('*');
  return r as Omit<ShareRow, 'name' | 'email'> | undefined;
}

export const deleteShare = (trx: Knex, chatId: number, granteeId: string) =>
  trx('chat_shares').where({ chat_id: chatId, grantee_id: granteeId }).delete();

export const activeUserInOrg = (db: Knex, orgId: string, id: string) =>
  db('users').where({ id, org_id: orgId }).whereNull('deleted_at').first<{ id: string; name: string; email: string } | undefined>('id', 'name', 'email');

export type SharedRow = ChatRow & { share_id: number; shared_at: Date; granted_by: string; granted_by_name: string };

/** Chats shared with the user on live devices of their org, newest grant first, keyset on the share id. */
export const sharedWith = (db: Knex, user: { id: string; orgId: string }, limit: number, beforeId?: number) =>
  db('chat_shares as s')
    .join('chats as c', 'c.id', 's.chat_id')
    .join('devices as d', 'd.id', 'c.device_id')
    .join('users as g', 'g.id', 's.granted_by')
    .where('s.grantee_id', user.id)
    .andWhere('d.org_id', user.orgId)
    .whereNull('d.deleted_at')
    .modify((q) => beforeId !== undefined && q.andWhere('s.id', '<', beforeId))
    .orderBy('s.id', 'desc')
    .limit(limit + 1)
    .select<SharedRow[]>('c.*', 's.id as share_id', 's.created_at as shared_at', 's.granted_by', 'g.name as granted_by_name');
