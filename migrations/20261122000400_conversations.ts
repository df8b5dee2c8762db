import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Read-only grants of one chat to another person of the org.
  await knex.schema.createTable('chat_shares', (t) => {
    t.bigIncrements('id').primary();
    t.uuid('org_id').notNullable();
    t.bigInteger('chat_id').notNullable().references('chats.id').onDelete('CASCADE');
    t.uuid('grantee_id').notNullable().references('users.id').onDelete('CASCADE');
    t.uuid('granted_by').notNullable().references('users.id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['chat_id', 'grantee_id']);
    t.index(['grantee_id']);
  });

  // Stored media (incoming fetched from the engine, outgoing uploaded); bytes live in the media store.
  await knex.schema.createTable('media', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('org_id').notNullable();
    t.uuid('device_id').notNullable().references('devices.id').onDelete('CASCADE');
    t.text('storage_key').notNullable();
    t.text('mimetype').notNullable();
    t.text('filename');
    t.bigInteger('size').notNullable();
    t.text('sha256').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  // Outbox: an outgoing message is a row first; a worker delivers it with retries.
  await knex.schema.alterTable('messages', (t) => {
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true });
  });
  await knex.raw(`CREATE INDEX messages_outbox_idx ON messages (next_attempt_at) WHERE direction = 'out' AND ack = 0 AND engine_message_id IS NULL`);

  // Full-text search: accents and case do not matter (unaccent + the simple configuration).
  await knex.raw('CREATE EXTENSION IF NOT EXISTS unaccent');
  await knex.raw(`CREATE OR REPLACE FUNCTION immutable_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$`);
  await knex.raw(`ALTER TABLE messages ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', immutable_unaccent(coalesce(body, '')))) STORED`);
  await knex.raw('CREATE INDEX messages_search_idx ON messages USING gin (search)');
  // Logs and stats filter by device and time.
  await knex.raw('CREATE INDEX messages_device_time_idx ON messages (device_id, sent_at DESC, id DESC)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS messages_device_time_idx');
  await knex.raw('ALTER TABLE messages DROP COLUMN IF EXISTS search');
  await knex.raw('DROP FUNCTION IF EXISTS immutable_unaccent(text)');
  await knex.raw('DROP INDEX IF EXISTS messages_outbox_idx');
  await knex.schema.alterTable('messages', (t) => {
    t.dropColumn('attempts');
    t.dropColumn('next_attempt_at');
  });
  await knex.schema.dropTableIfExists('media');
  await knex.schema.dropTableIfExists('chat_shares');
}
