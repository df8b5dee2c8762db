import type { Knex } from 'knex';

export type TargetType = 'contact' | 'chat';

export interface FavoriteRow {
  user_id: string;
  org_id: string;
  target_type: TargetType;
  target_id: string;
  position: number;
  created_at: Date;
}

export const listOwn = (db: Knex, userId: string) =>
  db<FavoriteRow>('favorites').where({ user_id: userId }).orderBy([{ column: 'position' }, { column: 'created_at' }]);

/** Rewrites the user's positions as 0..n-1 in the given order. */
export async function writeOrder(db: Knex, userId: string, orgId: string, order: { type: TargetType; id: string; createdAt?: Date }[]) {
  await db('favorites').where({ user_id: userId }).delete();
  if (!order.length) return;
  await db('favorites').insert(
    order.map((o, i) => ({ user_id: userId, org_id: orgId, target_type: o.type, target_id: o.id, position: i, ...(o.createdAt ? { created_at: o.createdAt } : {}) })),
  );
}

export const removeOne = (db: Knex, userId: string, type: TargetType, id: string) =>
  db('favorites').where({ user_id: userId, target_type: type, target_id: id }).delete();
