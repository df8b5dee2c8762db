import type { Knex } from 'knex';
import bcrypt from 'bcryptjs';

export const DEMO_PASSWORD = 'demo-password';
export const DEMO_USERS = [
  { email: 'alice@demo.test', name: 'Alice Admin', role: 'admin' },
  { email: 'bob@demo.test', name: 'Bob Editor', role: 'editor' },
  { email: 'carol@demo.test', name: 'Carol Viewer', role: 'viewer' },
] as const;

/** Org "Demo" with alice (admin), bob (editor), carol (viewer). Idempotent: existing people are left as they are. */
export async function seed(knex: Knex): Promise<{ orgId: string; created: number }> {
  if (process.env.NODE_ENV === 'production') throw new Error('The demo seed never runs in production');
  return knex.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', ['seed:demo']);
    let org = await trx('orgs').where({ name: 'Demo' }).orderBy('created_at').first();
    if (!org) [org] = await trx('orgs').insert({ name: 'Demo' }).returning('*');
    const hash = await bcrypt.hash(DEMO_PASSWORD, 12);
    let created = 0;
    for (const u of DEMO_USERS) {
      const exists = await trx('users').whereRaw('lower(email) = ?', [u.email]).whereNull('deleted_at').first();
      if (exists) continue;
      await trx('users').insert({ org_id: org.id, email: u.email, name: u.name, role: u.role, password_hash: hash });
      created++;
    }
    return { orgId: org.id as string, created };
  });
}
