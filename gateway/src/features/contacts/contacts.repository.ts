import type { Knex } from 'knex';
import { phoneDigits } from '../../platform/phone.js';

export interface ContactRow {
  id: string;
  org_id: string;
  name: string;
  phone_e164: string;
  email: string | null;
  company: string | null;
  notes: string | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

export type ContactFields = Pick<ContactRow, 'name' | 'phone_e164' | 'email' | 'company' | 'notes'>;

const active = (db: Knex) => db<ContactRow>('contacts').whereNull('deleted_at');

export const findContact = (db: Knex, orgId: string, id: string) => active(db).where({ org_id: orgId, id }).first();

export const findByPhone = (db: Knex, orgId: string, phone: string) => active(db).where({ org_id: orgId, phone_e164: phone }).first();

export async function insertContact(db: Knex, orgId: string, createdBy: string | null, c: ContactFields): Promise<ContactRow> {
  const [row] = await db<ContactRow>('contacts')
    .insert({ org_id: orgId, created_by: createdBy, ...c })
    .returning('*');
  return row as ContactRow;
}

export async function updateContact(db: Knex, orgId: string, id: string, patch: Partial<ContactFields>) {
  const [row] = await active(db)
    .where({ org_id: orgId, id })
    .update({ ...patch, updated_at: db.fn.now() })
    .returning('*');
  return row as ContactRow | undefined;
}

export async function softDeleteContact(db: Knex, orgId: string, id: string) {
  const [row] = await active(db).where({ org_id: orgId, id }).update({ deleted_at: db.fn.now() }).returning('*');
  return row as ContactRow | undefined;
}

/** Replaces a contact's tags; returns the ids added and removed. */
export async function setContactTags(db: Knex, contactId: string, tagIds: string[]) {
  const current = (await db('contact_tags').where({ contact_id: contactId }).select<{ tag_id: string }[]>('tag_id')).map((r) => r.tag_id);
  const want = new Set(tagIds);
  const removed = current.filter((id) => !want.has(id));
  const added = [...want].filter((id) => !current.includes(id));
  if (removed.length) await db('contact_tags').where({ contact_id: contactId }).whereIn('tag_id', removed).delete();
  if (added.length) await db('contact_tags').insert(added.map((tag_id) => ({ contact_id: contactId, tag_id }))).onConflict().ignore();
  return { added, removed };
}

export interface ListFilter {
  q?: string;
  tag?: string;
  /** Only contacts this user pinned. */
  favoriteOf?: string;
}

/** The expression the trigram index contacts_search_trgm_idx is built on (migration 20261203005100). */
const SEARCH_TEXT = 'contacts_search_text(contacts.name, contacts.email, contacts.company, contacts.phone_e164)';

/** Active contacts of an organization matching the filters (no order, no limit). */
export function filtered(db: Knex, orgId: string, f: ListFilter) {
  const q = active(db).where('contacts.org_id', orgId);
  if (f.tag) q.whereExists(db('contact_tags').whereRaw('contact_tags.contact_id = contacts.id').andWhere('contact_tags.tag_id', f.tag).select(db.raw('1')));
  if (f.favoriteOf)
    q.whereExists(
      db('favorites').whereRaw("favorites.target_type = 'contact' AND favorites.target_id = contacts.id::text").andWhere('favorites.user_id', f.favoriteOf).select(db.raw('1')),
    );
  if (f.q) {
    // One expression over all four fields, so one index answers every term (a match never spans two
    // fields in practice: they are joined with a space and a term has none in the middle of a word).
    const like = `%${f.q.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
    const digits = phoneDigits(f.q);
    q.where((w) => {
      w.whereRaw(`${SEARCH_TEXT} ILIKE ?`, [like]);
      if (digits.length >= 3) w.orWhereRaw(`${SEARCH_TEXT} LIKE ?`, [`%${digits}%`]);
    });
  }
  return q;
}

/** One page in name order; the cursor is (lower(name), id) of the last row shown. */
export function listContacts(db: Knex, orgId: string, f: ListFilter & { limit: number; after?: [string, string] }) {
  const q = filtered(db, orgId, f).select<(ContactRow & { name_key: string })[]>('contacts.*', db.raw('lower(contacts.name) AS name_key'));
  if (f.after) q.whereRaw('(lower(contacts.name), contacts.id) > (?, ?::uuid)', f.after);
  return q.orderByRaw('lower(contacts.name), contacts.id').limit(f.limit + 1);
}

/** Which of `ids` this user pinned. */
export async function pinnedAmong(db: Knex, userId: string, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const rows = await db('favorites').where({ user_id: userId, target_type: 'contact' }).whereIn('target_id', ids).select<{ target_id: string }[]>('target_id');
  return new Set(rows.map((r) => r.target_id));
}
