import type { Knex } from 'knex';
import type { Role } from '../../platform/http/auth-context.js';

export interface UserRow {
  id: string;
  org_id: string;
  email: string;
  name: string;
  role: Role;
  password_hash: string | null;
  external_subject: string | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

const active = (db: Knex) => db<UserRow>('users').whereNull('deleted_at');

export const findActiveById = (db: Knex, id: string) => active(db).where({ id }).first();

export const findActiveInOrg = (db: Knex, orgId: string, id: string) => active(db).where({ id, org_id: orgId }).first();

export const findActiveByEmail = (db: Knex, email: string) =>
  active(db).whereRaw('lower(email) = ?', [email.toLowerCase()]).first();

export const findByExternalSubject = (db: Knex, orgId: string, subject: string) =>
  active(db).where({ org_id: orgId, external_subject: subject }).first();

export async function insertUser(
  db: Knex,
  u: { orgId: string; email: string; name: string; role: Role; passwordHash: string | null; externalSubject?: string },
): Promise<UserRow> {
  const [row] = await db<UserRow>('users')
    .insert({
      org_id: u.orgId,
      email: u.email,
      name: u.name,
      role: u.role,
      password_hash: u.passwordHash,
      external_subject: u.externalSubject ?? null,
    })
    .returning('*');
  return row as UserRow;
}

export async function insertOrg(db: Knex, name: string): Promise<{ id: string; name: string }> {
  const [row] = await db('orgs').insert({ name }).returning(['id', 'name']);
  return row;
}

export async function updateUser(db: Knex, orgId: string, id: string, patch: Partial<Pick<UserRow, 'name' | 'role' | 'password_hash' | 'external_subject'>>) {
  const [row] = await active(db)
    .where({ id, org_id: orgId })
    .update({ ...patch, updated_at: db.fn.now() })
    .returning('*');
  return row as UserRow | undefined;
}

export async function softDelete(db: Knex, orgId: string, id: string) {
  const [row] = await active(db).where({ id, org_id: orgId }).update({ deleted_at: db.fn.now() }).returning('*');
  return row as UserRow | undefined;
}

export function listUsers(db: Knex, orgId: string, f: { limit: number; role?: Role; q?: string; after?: [string, string] }) {
  const q = active(db)
    .where({ org_id: orgId })
    .select<(UserRow & { created_key: string })[]>('*', db.raw('created_at::text AS created_key'));
  if (f.role) q.where('role', f.role);
  if (f.q) {
    const like = `%${f.q.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
    q.where((w) => w.whereILike('name', like).orWhereILike('email', like));
  }
  // Newest first; the cursor is the (created_at, id) of the last row shown.
  if (f.after) q.whereRaw('(created_at, id) < (?::timestamptz, ?::uuid)', f.after);
  return q.orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(f.limit + 1);
}

export const countAdmins = async (db: Knex, orgId: string) =>
  Number((await active(db).where({ org_id: orgId, role: 'admin' }).count<{ count: number }[]>('* as count'))[0]?.count ?? 0);
