import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // True while a send attempt may have reached the engine without our knowing (a timeout, a crash):
  // the next attempt first asks the engine whether it already has the message.
  await knex.raw(`ALTER TABLE messages ADD COLUMN send_uncertain boolean NOT NULL DEFAULT false`);
  // The outbox: rows due for a send attempt (next_attempt_at is cleared once sent or failed).
  await knex.raw(`CREATE INDEX messages_outbox_due_idx ON messages (next_attempt_at) WHERE direction = 'out' AND ack = 0 AND next_attempt_at IS NOT NULL`);
  await knex.raw(`CREATE INDEX messages_outbox_chat_idx ON messages (chat_id, id) WHERE direction = 'out' AND ack = 0 AND next_attempt_at IS NOT NULL`);
  // Our own sends still without an engine id, for joining WAHA's echo to them.
  await knex.raw(`CREATE INDEX messages_out_unmatched_idx ON messages (chat_id, id) WHERE direction = 'out' AND engine_message_id IS NULL`);
  // GET /api/media/:id finds the messages that reference a stored file.
  await knex.raw(`CREATE INDEX messages_media_id_idx ON messages ((media->>'mediaId')) WHERE media->>'mediaId' IS NOT NULL`);
  // Incoming media still to fetch from the engine.
  await knex.raw(`CREATE INDEX messages_media_fetch_idx ON messages (id) WHERE media->>'engineUrl' IS NOT NULL AND media->>'mediaId' IS NULL`);
  // The same bytes on one device are stored once (webhook retries carry the same inline media).
  await knex.raw(`CREATE INDEX media_device_sha_idx ON media (device_id, sha256)`);
}

export async function down(knex: Knex): Promise<void> {
  for (const i of ['media_device_sha_idx', 'messages_media_fetch_idx', 'messages_media_id_idx', 'messages_out_unmatched_idx', 'messages_outbox_chat_idx', 'messages_outbox_due_idx']) {
    await knex.raw(`DROP INDEX IF EXISTS ${i}`);
  }
  await knex.raw('ALTER TABLE messages DROP COLUMN IF EXISTS send_uncertain');
}
