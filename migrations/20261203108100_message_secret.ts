import type { Knex } from 'knex';

/**
 * Sealed changes (msg-secret.ts):
 * - `messages.message_secret`: the message's own secret (messageContextInfo.messageSecret), which opens
 *   the edits and poll votes later sealed with it. Never presented (not in MESSAGE_COLUMNS).
 * - `sealed_updates_pending`: a sealed change whose original has not arrived yet, kept until it does
 *   (keyed by the change's own id, so repeats are one row).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE messages ADD COLUMN message_secret bytea');
  await knex.schema.createTable('sealed_updates_pending', (t) => {
    t.uuid('device_id').notNullable().references('devices.id').onDelete('CASCADE');
    t.text('sealed_id').notNullable();
    t.text('target_engine_id').notNullable();
    t.jsonb('change').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['device_id', 'sealed_id']);
    t.index(['device_id', 'target_engine_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('sealed_updates_pending');
  await knex.raw('ALTER TABLE messages DROP COLUMN IF EXISTS message_secret');
}
