import type { Knex } from 'knex';

/**
 * One device-state model: `status` is what the engine says of the session (any word the gateway does
 * not know becomes `needs_attention`, the engine's own word kept in `status_detail`); whether the
 * gateway can reach the engine at all is apart (`engine_reachable`, `engine_checked_at`), so an
 * outage never overwrites the session's status.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('devices', (t) => {
    t.text('status_detail');
    t.boolean('engine_reachable').notNullable().defaultTo(true);
    t.timestamp('engine_checked_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('devices', (t) => {
    t.dropColumn('engine_checked_at');
    t.dropColumn('engine_reachable');
    t.dropColumn('status_detail');
  });
}
