import type { Knex } from 'knex';

export interface RefreshRow {
  id: string;
  user_id: string;
  family_id: string;
  token_hash: string;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
}

export const insertRefresh = (db: Knex, r: { userId: string; familyId: string; hash: string; expiresAt: Date }) =>
  db('refresh_tokens').insert({ user_id: r.userId, family_id: r.familyId, token_hash: r.hash, expires_at: r.expiresAt });

export const findByHash = (db: Knex, hash: string) => db<RefreshRow>('refresh_tokens').where({ token_hash: hash }).first();

/** Marks the token used only if nobody did first; false means it was already spent (a replay). */
export async function claim(db: Knex, id: string): Promise<boolean> {
  const n = await db('refresh_tokens').where({ id }).whereNull('used_at').whereNull('revoked_at').update({ used_at: db.fn.now() });
  return n === 1;
}

export const revokeFamily = (db: Knex, familyId: string) =>
  db('refresh_tokens').where({ family_id: familyId }).whereNull('revoked_at').update({ revoked_at: db.fn.now() });

export const revokeAllOfUser = (db: Knex, userId: string) =>
  db('refresh_tokens').where({ user_id: userId }).whereNull('revoked_at').update({ revoked_at: db.fn.now() });
