import type { Knex } from 'knex';

/**
 * Cheaper sends: `messages_outbox_idx` (from the first outbox) serves no query since the outbox's own
 * indexes came (`messages_outbox_due_idx`, `messages_outbox_chat_idx`), yet every pending message and
 * every change to one paid for an entry in it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS messages_outbox_idx');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`CREATE INDEX messages_outbox_idx ON messages (next_attempt_at) WHERE direction = 'out' AND ack = 0 AND engine_message_id IS NULL`);
}
