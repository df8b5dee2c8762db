import knexFactory, { type Knex } from 'knex';
import pg from 'pg';

// bigint counts (COUNT(*), bigserial ids) come back as JS numbers; they stay far below 2^53 here.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export type Db = Knex;

export function createDb(url: string, pool: { min: number; max: number }): Db {
  return knexFactory({
    client: 'pg',
    connection: url,
    pool: { min: pool.min, max: pool.max },
    acquireConnectionTimeout: 10_000,
  });
}
