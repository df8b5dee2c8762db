import type { Knex } from 'knex';

/**
 * Login attempt counters shared by every replica (express-rate-limit's memory store counted per
 * process, so N replicas allowed N times the limit). One row per hashed key and window.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE TABLE rate_limits (
    key text PRIMARY KEY,
    hits integer NOT NULL,
    reset_at timestamptz NOT NULL
  )`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE rate_limits');
}
