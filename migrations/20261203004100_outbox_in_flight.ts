import type { Knex } from 'knex';

/**
 * True while a send attempt is leased to a worker (between its claim and its outcome). "Retry now"
 * makes a waiting send due at once, but never one whose attempt is still out: that could send twice.
 * A constant default: PostgreSQL adds the column without rewriting the table.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE messages ADD COLUMN in_flight boolean NOT NULL DEFAULT false`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE messages DROP COLUMN IF EXISTS in_flight`);
}
