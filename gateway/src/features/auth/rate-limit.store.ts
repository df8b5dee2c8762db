import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';

/**
 * express-rate-limit's counters in PostgreSQL, so every replica counts the same attempts. A key is
 * stored hashed (it holds an address or an email). A window starts at a key's first hit and ends
 * `windowMs` later; the expired rows are pruned with the other background pruning.
 */
export class PgRateLimitStore implements Store {
  private windowMs = 60_000;

  constructor(
    private readonly db: Knex,
    /** Tells this limiter's keys from another's in the one table. */
    readonly prefix: string,
  ) {}

  init(options: Options) {
    this.windowMs = options.windowMs;
  }

  private key(key: string) {
    return createHash('sha256').update(`${this.prefix}\0${key}`).digest('hex');
  }

  /** The key's counter while its window lasts. */
  private current(key: string) {
    return this.db('rate_limits').where({ key: this.key(key) }).where('reset_at', '>', this.db.fn.now());
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const row = await this.current(key).first('hits', 'reset_at');
    return row ? { totalHits: row.hits, resetTime: row.reset_at } : undefined;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    // One statement: a new key, a hit in the current window, or the first hit of a new window.
    const { rows } = await this.db.raw(
      `INSERT INTO rate_limits AS r (key, hits, reset_at) VALUES (?, 1, now() + ? * interval '1 millisecond')
       ON CONFLICT (key) DO UPDATE SET
         hits = CASE WHEN r.reset_at <= now() THEN 1 ELSE r.hits + 1 END,
         reset_at = CASE WHEN r.reset_at <= now() THEN excluded.reset_at ELSE r.reset_at END
       RETURNING hits, reset_at`,
      [this.key(key), this.windowMs],
    );
    return { totalHits: rows[0].hits, resetTime: rows[0].reset_at };
  }

  async decrement(key: string): Promise<void> {
    await this.current(key).update({ hits: this.db.raw('greatest(hits - 1, 0)') });
  }

  async resetKey(key: string): Promise<void> {
    await this.db('rate_limits').where({ key: this.key(key) }).del();
  }
}

/** Drops the counters whose window has ended. */
export const pruneRateLimits = (db: Knex) => db('rate_limits').where('reset_at', '<=', db.fn.now()).del();
