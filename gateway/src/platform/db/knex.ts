import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { pino, type Logger } from 'pino';

// bigint counts (COUNT(*), bigserial ids) come back as JS numbers; they stay far below 2^53 here.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export type Db = Knex;

/** Where the pool's messages go when the caller has no logger: still one JSON line each. */
let fallback: Logger | undefined;

/**
 * A knex pool. Its own messages (a pooled connection that broke, a failed acquire) go through pino as
 * JSON lines, like every other log line, instead of knex's plain-text console output.
 */
export function createDb(url: string, pool: { min: number; max: number }, logger?: Logger): Db {
  const log = (logger ?? (fallback ??= pino())).child({ component: 'db' });
  return knexFactory({
    client: 'pg',
    connection: url,
    pool: { min: pool.min, max: pool.max },
    acquireConnectionTimeout: 10_000,
    log: {
      warn: (message: string) => log.warn(message),
      error: (message: string) => log.error(message),
      debug: (message: string) => log.debug(message),
      deprecate: (method: string, alternative: string) => log.warn({ method, alternative }, 'deprecated knex call'),
    },
  });
}
