import type { Knex } from 'knex';

/**
 * Engines post their webhooks concurrently and retry them, so a status can reach the gateway after a
 * newer one. `engine_state_at` is the engine's own time of the last status applied from a webhook
 * (WAHA's envelope timestamp): an older one arriving late is left out.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('devices', (t) => {
    t.timestamp('engine_state_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('devices', (t) => {
    t.dropColumn('engine_state_at');
  });
}
