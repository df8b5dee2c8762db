import type { Knex } from 'knex';

// History the engine pushes (WuzAPI HistorySync) counts toward the device's import: the chats it has
// received anything for (each once), when the last push came (the quiet period ends the import), and
// whether the engine said its sync is complete.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sync_jobs', (t) => {
    t.timestamp('last_received_at', { useTz: true });
    t.boolean('engine_complete').notNullable().defaultTo(false);
  });
  await knex.schema.createTable('sync_job_chats', (t) => {
    t.bigInteger('job_id').notNullable().references('sync_jobs.id').onDelete('CASCADE');
    t.text('jid').notNullable();
    t.primary(['job_id', 'jid']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('sync_job_chats');
  await knex.schema.alterTable('sync_jobs', (t) => {
    t.dropColumn('last_received_at');
    t.dropColumn('engine_complete');
  });
}
