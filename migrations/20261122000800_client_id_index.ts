import type { Knex } from 'knex';

/**
 * Cheaper message inserts: the client id is only ever set on our own sends, so its unique index
 * holds only those rows (every incoming message paid for an index entry of NULL).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX messages_client_id_uq');
  await knex.raw('CREATE UNIQUE INDEX messages_client_id_uq ON messages (device_id, client_id) WHERE client_id IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX messages_client_id_uq');
  await knex.raw('CREATE UNIQUE INDEX messages_client_id_uq ON messages (device_id, client_id)');
}
