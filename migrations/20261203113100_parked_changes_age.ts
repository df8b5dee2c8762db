import type { Knex } from 'knex';

/**
 * Parked changes by age: the ingest's sweep reads the recent ones every few seconds (a change parked
 * while its original was being written by another batch), and the hourly prune drops those whose
 * original never came within 30 days. Both tables stay small; the indexes keep both reads off a scan.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX IF NOT EXISTS message_updates_pending_created_idx ON message_updates_pending (created_at)');
  await knex.raw('CREATE INDEX IF NOT EXISTS sealed_updates_pending_created_idx ON sealed_updates_pending (created_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS sealed_updates_pending_created_idx');
  await knex.raw('DROP INDEX IF EXISTS message_updates_pending_created_idx');
}
