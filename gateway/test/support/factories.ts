import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import type { Db } from '../../src/platform/db/knex.js';
import type { Role } from '../../src/platform/http/auth-context.js';

export const PASSWORD = 'correct-horse-battery';
// Hashed once at the real cost; factories reuse it so tests stay quick without a weaker setting.
let hash: Promise<string> | undefined;
const passwordHash = () => (hash ??= bcrypt.hash(PASSWORD, 12));

export async function makeOrg(db: Db, name = 'Org ' + randomBytes(3).toString('hex')) {
  const [org] = await db('orgs').insert({ name }).returning('*');
  return org as { id: string; name: string };
}

export async function makeUser(db: Db, orgId: string, role: Role, over: { email?: string; name?: string } = {}) {
  const email = over.email ?? `${role}-${randomBytes(4).toString('hex')}@example.test`;
  const [u] = await db('users')
    .insert({ org_id: orgId, email, name: over.name ?? `${role} person`, role, password_hash: await passwordHash() })
    .returning('*');
  return u as { id: string; org_id: string; email: string; role: Role };
}
