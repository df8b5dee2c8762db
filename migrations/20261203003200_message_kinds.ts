import type { Knex } from 'knex';

/**
 * Every kind of message a phone sends, and the chat's system lines:
 * - `kind`: message | system | note (calls and group events are `system`; notes come with the team inbox);
 * - `content`: the structured part of a kind (location, contact cards, poll, template, link preview,
 *   call, group event), as jsonb: each kind its own shape, read whole, never queried inside;
 * - `edits`: the earlier texts of an edited message, [{text, at}], oldest first;
 * - `poll_votes`: each voter's current choice on a poll (engines send the whole choice each time);
 * - `chats.name_set_at`: when the engine's name for a chat (a group subject) was set, so renames
 *   delivered out of order end at the newest.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE messages ADD COLUMN kind text NOT NULL DEFAULT 'message',
    ADD COLUMN content jsonb, ADD COLUMN edits jsonb`);
  await knex.raw(`ALTER TABLE messages ADD CONSTRAINT messages_kind_check CHECK (kind IN ('message', 'system', 'note'))`);
  await knex.raw('ALTER TABLE chats ADD COLUMN name_set_at timestamptz');
  await knex.schema.createTable('poll_votes', (t) => {
    t.uuid('device_id').notNullable().references('devices.id').onDelete('CASCADE');
    t.text('poll_engine_id').notNullable(); // the poll message's key id
    t.text('voter_jid').notNullable();
    t.jsonb('options').notNullable(); // the option names chosen; [] = vote withdrawn
    t.timestamp('voted_at', { useTz: true }).notNullable();
    t.primary(['device_id', 'poll_engine_id', 'voter_jid']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('poll_votes');
  await knex.raw('ALTER TABLE chats DROP COLUMN IF EXISTS name_set_at');
  await knex.raw('ALTER TABLE messages DROP CONSTRAINT IF EXISTS messages_kind_check');
  await knex.raw('ALTER TABLE messages DROP COLUMN IF EXISTS edits, DROP COLUMN IF EXISTS content, DROP COLUMN IF EXISTS kind');
}
