import type { Knex } from 'knex';

/**
 * The contacts page searches 100,000 contacts as a person types: `q` is a substring of name, email,
 * company or number, which no b-tree serves. One trigram index over the four fields joined (through an
 * IMMUTABLE function, so the index and the query spell the same expression) turns that into a bitmap
 * scan. The audit log is filtered by actor and by action, each newest first.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE EXTENSION IF NOT EXISTS pg_trgm');
  await knex.raw(`
    CREATE FUNCTION contacts_search_text(name text, email text, company text, phone text) RETURNS text
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT name || ' ' || coalesce(email, '') || ' ' || coalesce(company, '') || ' ' || phone
    $$`);
  await knex.raw(
    `CREATE INDEX contacts_search_trgm_idx ON contacts USING gin (contacts_search_text(name, email, company, phone_e164) gin_trgm_ops) WHERE deleted_at IS NULL`,
  );
  await knex.raw(`CREATE INDEX audit_log_org_actor_idx ON audit_log (org_id, actor_id, id)`);
  await knex.raw(`CREATE INDEX audit_log_org_action_idx ON audit_log (org_id, action, id)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS audit_log_org_action_idx');
  await knex.raw('DROP INDEX IF EXISTS audit_log_org_actor_idx');
  await knex.raw('DROP INDEX IF EXISTS contacts_search_trgm_idx');
  await knex.raw('DROP FUNCTION IF EXISTS contacts_search_text(text, text, text, text)');
  // pg_trgm stays: other objects may use it, and it costs nothing unused.
}
