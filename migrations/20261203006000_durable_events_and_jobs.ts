import type { Knex } from 'knex';
import pg from 'pg';
import { Logger, runMigrations } from 'graphile-worker';

/**
 * Durable domain-event consumers and the job queue.
 *
 * - events.tx: the writing transaction's id. Ids are taken at insert but seen at commit, so a
 *   consumer reading by id could pass an event still uncommitted; reading in (tx, id) order below
 *   the oldest running transaction (pg_snapshot_xmin) never can. Added without a table rewrite:
 *   older rows keep NULL (consumers start after them).
 * - event_consumers: each durable consumer's cursor, moved in the transaction of its work.
 * - graphile_worker: the job queue's own schema, installed here so every database (and the test
 *   template) has it before the first start (the queue checks again when it starts).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE events ADD COLUMN tx xid8`);
  await knex.raw(`ALTER TABLE events ALTER COLUMN tx SET DEFAULT pg_current_xact_id()`);
  await knex.raw(`CREATE INDEX events_tx_idx ON events (tx, id)`);
  await knex.raw(`CREATE TABLE event_consumers (
    name text PRIMARY KEY,
    tx xid8 NOT NULL,
    last_id bigint NOT NULL DEFAULT 0,
    failures integer NOT NULL DEFAULT 0,
    retry_at timestamptz,
    last_error text,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`);
  const c = (knex.client as { config: { connection: string | pg.PoolConfig } }).config.connection;
  // knex hides the password (non-enumerable): a spread alone would drop it.
  const pool = new pg.Pool({ ...(typeof c === 'string' ? { connectionString: c } : { ...c, password: c.password }), max: 1 });
  pool.on('error', () => undefined); // runMigrations reports its own failures
  pool.on('connect', (client) => client.on('error', () => undefined));
  try {
    await runMigrations({ pgPool: pool, logger: new Logger(() => () => undefined) });
  } finally {
    await pool.end();
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP SCHEMA IF EXISTS graphile_worker CASCADE');
  await knex.raw('DROP TABLE event_consumers');
  await knex.raw('DROP INDEX events_tx_idx');
  await knex.raw('ALTER TABLE events DROP COLUMN tx');
}
