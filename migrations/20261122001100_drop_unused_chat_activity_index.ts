import type { Knex } from 'knex';

/**
 * Cheaper chat updates: `chats_device_activity_idx` (from the first chat list) serves no query since
 * the list walks `chats_device_recent_idx`; lookups by device use that index or (device_id, jid).
 * Every message stored moves its chat's last_message_at, and each such update wrote an entry into it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS chats_device_activity_idx');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`CREATE INDEX chats_device_activity_idx ON chats (device_id, last_message_at DESC NULLS LAST, id DESC)`);
}
