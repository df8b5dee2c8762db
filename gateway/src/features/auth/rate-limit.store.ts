import { createHash } from 'node:crypto';
import type { Knex } from 'knex';

/**
 * Attempt counters in PostgreSQL, so every replica counts the same attempts. A key is stored hashed
 * (it holds an address or an email). A window starts at a key's first hit and ends `windowMs` later;
 * the expired rows are pruned with the other background pruning.
 */
export interface Counter {
  key: string;
  windowMs: number;
}

export interface Count {
  hits: number;
  resetAt: Date;
}

const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

/**
 * One hit on every key, in one statement (a new key, a hit in the current window, or the first hit of
 * a new window); the counts after it, in the order given. Keys are locked in one order, so concurrent
 * callers never deadlock.
 */
export async function hitAll(db: Knex, counters: Counter[]): Promise<Count[]> {
  const hashed = counters.map((c) => hashKey(c.key));
  const order = hashed.map((h, i) => [h, counters[i]!.windowMs] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const { rows } = await db.raw(
    `INSERT INTO rate_limits AS r (key, hits, reset_at)
       SELECT k, 1, now() + w * interval '1 millisecond' FROM unnest(?::text[], ?::bigint[]) AS t(k, w) ORDER BY k
     ON CONFLICT (key) DO UPDATE SET
       hits = CASE WHEN r.reset_at <= now() THEN 1 ELSE r.hits + 1 END,
       reset_at = CASE WHEN r.reset_at <= now() THEN excluded.reset_at ELSE r.reset_at END
     RETURNING key, hits, reset_at`,
    [order.map((o) => o[0]), order.map((o) => o[1])],
  );
  const byKey = new Map<string, Count>(rows.map((r: { key: string; hits: number; reset_at: Date }) => [r.key, { hits: r.hits, resetAt: r.reset_at }]));
  return hashed.map((h) => byKey.get(h)!);
}

/** Takes back one hit of each key (an attempt that turned out not to count), within its window. */
export async function unhitAll(db: Knex, counters: Counter[]): Promise<void> {
  await db('rate_limits')
    .whereIn('key', counters.map((c) => hashKey(c.key)).sort())
    .where('reset_at', '>', db.fn.now())
    .update({ hits: db.raw('greatest(hits - 1, 0)') });
}

/** Drops the counters whose window has ended. */
export const pruneRateLimits = (db: Knex) => db('rate_limits').where('reset_at', '<=', db.fn.now()).del();
