import type { Knex } from 'knex';

/**
 * Reading conversations: the chat list's keyset index, and a text-search configuration that folds
 * accents so search snippets can highlight words in the original text ("café" for the query "cafe").
 */
export async function up(knex: Knex): Promise<void> {
  // Chats without messages sort last: one expression, so a page boundary is one row comparison the
  // index answers (last_message_at DESC NULLS LAST would need an OR the index cannot use).
  await knex.raw(`CREATE INDEX chats_device_recent_idx ON chats (device_id, (coalesce(last_message_at, '-infinity'::timestamptz)) DESC, id DESC)`);
  await knex.raw('CREATE TEXT SEARCH CONFIGURATION wa_unaccent (COPY = pg_catalog.simple)');
  await knex.raw(`ALTER TEXT SEARCH CONFIGURATION wa_unaccent
    ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part WITH public.unaccent, pg_catalog.simple`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TEXT SEARCH CONFIGURATION IF EXISTS wa_unaccent');
  await knex.raw('DROP INDEX IF EXISTS chats_device_recent_idx');
}
