import type { Knex } from 'knex';

export interface TagRow {
  id: string;
  org_id: string;
  name: string;
  color: string;
  created_at: Date;
  updated_at: Date;
}

export const findTag = (db: Knex, orgId: string, id: string) => db<TagRow>('tags').where({ org_id: orgId, id }).first();

export function listTags(db: Knex, orgId: string) {
  return db('tags as t')
    .where('t.org_id', orgId)
    .select<(TagRow & { contact_count: number })[]>(
      't.*',
      db.raw(
        `(SELECT count(*) FROM contact_tags ct JOIN contacts c ON c.id = ct.contact_id AND c.deleted_at IS NULL WHERE ct.tag_id = t.id)::int AS contact_count`,
      ),
    )
    .orderByRaw('lower(t.name), t.id');
}

export async function insertTag(db: Knex, orgId: string, t: { name: string; color?: string }) {
  const [row] = await db<TagRow>('tags')
    .insert({ org_id: orgId, name: t.name, ...(t.color ? { color: t.color } : {}) })
    .returning('*');
  return row as TagRow;
}

export async function updateTag(db: Knex, orgId: string, id: string, patch: { name?: string; color?: string }) {
  const [row] = await db<TagRow>('tags')
    .where({ org_id: orgId, id })
    .update({ ...patch, updated_at: db.fn.now() })
    .returning('*');
  return row as TagRow | undefined;
}

/** The live contacts carrying a tag. */
export async function contactsWithTag(db: Knex, tagId: string): Promise<string[]> {
  const rows = await db('contact_tags as ct').join('contacts as c', 'c.id', 'ct.contact_id').whereNull('c.deleted_at').where('ct.tag_id', tagId).select<{ id: string }[]>('c.id');
  return rows.map((r) => r.id);
}

/** Deleting a tag removes it from every contact (contact_tags cascades). Returns the row and how many contacts had it. */
export async function deleteTag(db: Knex, orgId: string, id: string) {
  const used = await db('contact_tags').where({ tag_id: id }).count<{ n: number }[]>('* as n');
  const [row] = await db<TagRow>('tags').where({ org_id: orgId, id }).delete().returning('*');
  return row ? { tag: row as TagRow, removedFrom: Number(used[0]?.n ?? 0) } : undefined;
}

/** The tags of many contacts at once, keyed by contact id, in name order. */
export async function tagsOfContacts(db: Knex, contactIds: string[]): Promise<Map<string, TagRow[]>> {
  const out = new Map<string, TagRow[]>();
  if (!contactIds.length) return out;
  const rows = await db('contact_tags as ct')
    .join('tags as t', 't.id', 'ct.tag_id')
    .whereIn('ct.contact_id', contactIds)
    .select<(TagRow & { contact_id: string })[]>('t.*', 'ct.contact_id')
    .orderByRaw('lower(t.name)');
  for (const r of rows) {
    const list = out.get(r.contact_id) ?? [];
    list.push(r);
    out.set(r.contact_id, list);
  }
  return out;
}

/** Which of `ids` are tags of the organization. */
export async function existingTagIds(db: Knex, orgId: string, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const rows = await db('tags').where({ org_id: orgId }).whereIn('id', ids).select<{ id: string }[]>('id');
  return new Set(rows.map((r) => r.id));
}

/** Tag ids by lower-cased name, creating the missing ones (CSV and legacy imports). */
export async function ensureTagsByName(db: Knex, orgId: string, names: string[]): Promise<Map<string, string>> {
  const wanted = [...new Map(names.map((n) => [n.trim().toLowerCase(), n.trim()])).entries()].filter(([k]) => k);
  const out = new Map<string, string>();
  if (!wanted.length) return out;
  await db.raw(
    `INSERT INTO tags (org_id, name) SELECT ?, n FROM unnest(?::text[]) AS n ON CONFLICT (org_id, lower(name)) DO NOTHING`,
    [orgId, wanted.map(([, v]) => v)],
  );
  const rows = await db('tags')
    .where({ org_id: orgId })
    .whereRaw('lower(name) = ANY(?::text[])', [wanted.map(([k]) => k)])
    .select<{ id: string; name: string }[]>('id', 'name');
  for (const r of rows) out.set(r.name.toLowerCase(), r.id);
  return out;
}
