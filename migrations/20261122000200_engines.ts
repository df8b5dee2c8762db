import type { Knex } from 'knex';

const ts = (t: Knex.CreateTableBuilder, name: string) => t.timestamp(name, { useTz: true });

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('devices', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('org_id').notNullable().references('orgs.id').onDelete('CASCADE');
    t.uuid('owner_id').notNullable().references('users.id');
    t.text('name').notNullable();
    t.text('engine').notNullable(); // waha | wuzapi
    t.text('engine_session').notNullable(); // WAHA session name or WuzAPI user name
    t.text('engine_url'); // when this device has its own engine
    t.text('engine_token'); // WuzAPI user token (secret)
    t.text('engine_ref'); // WuzAPI user id
    t.text('webhook_secret').notNullable(); // the HMAC key the engine signs with
    t.text('status').notNullable().defaultTo('starting');
    t.text('jid'); // canonical JID of the paired phone
    t.text('phone'); // E.164 of the paired phone
    t.text('push_name');
    ts(t, 'status_at').notNullable().defaultTo(knex.fn.now());
    ts(t, 'connected_at');
    ts(t, 'created_at').notNullable().defaultTo(knex.fn.now());
    ts(t, 'updated_at').notNullable().defaultTo(knex.fn.now());
    ts(t, 'deleted_at');
    t.index(['org_id']);
    t.index(['owner_id']);
  });
  await knex.raw(`ALTER TABLE devices ADD CONSTRAINT devices_engine_check CHECK (engine IN ('waha','wuzapi'))`);
  // One live device per engine session; a deleted device frees its name.
  await knex.raw(`CREATE UNIQUE INDEX devices_engine_session_uq ON devices (engine, coalesce(engine_url, ''), engine_session) WHERE deleted_at IS NULL`);

  await knex.schema.createTable('device_members', (t) => {
    t.uuid('device_id').notNullable().references('devices.id').onDelete('CASCADE');
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('role').notNullable(); // agent (may send) | viewer (reads)
    ts(t, 'created_at').notNullable().defaultTo(knex.fn.now());
    t.primary(['device_id', 'user_id']);
    t.index(['user_id']);
  });

  await knex.schema.createTable('chats', (t) => {
    t.bigIncrements('id').primary();
    t.uuid('org_id').notNullable();
    t.uuid('device_id').notNullable().references('devices.id').onDelete('CASCADE');
    t.text('jid').notNullable();
    t.text('name');
    t.boolean('is_group').notNullable().defaultTo(false);
    ts(t, 'last_message_at');
    t.bigInteger('last_message_id');
    t.text('last_message_preview');
    t.integer('unread_count').notNullable().defaultTo(0);
    ts(t, 'created_at').notNullable().defaultTo(knex.fn.now());
    ts(t, 'updated_at').notNullable().defaultTo(knex.fn.now());
    t.unique(['device_id', 'jid']);
  });
  await knex.raw(`CREATE INDEX chats_device_activity_idx ON chats (device_id, last_message_at DESC NULLS LAST, id DESC)`);

  await knex.schema.createTable('messages', (t) => {
    t.bigIncrements('id').primary();
    t.uuid('org_id').notNullable();
    t.uuid('device_id').notNullable().references('devices.id').onDelete('CASCADE');
    t.bigInteger('chat_id').notNullable().references('chats.id').onDelete('CASCADE');
    t.text('engine_message_id'); // WhatsApp key id; null until an outgoing message is accepted
    t.text('engine_full_id'); // WAHA's serialized id, for replies and seen
    t.text('client_id'); // the sender's idempotency key (outgoing)
    t.text('direction').notNullable(); // in | out
    t.text('sender_jid');
    t.text('sender_name');
    t.text('type').notNullable().defaultTo('text');
    t.text('body');
    t.jsonb('media');
    t.text('reply_to_engine_id');
    t.smallint('ack').notNullable().defaultTo(0); // -1 error .. 4 played; only moves forward
    t.text('error'); // why an outgoing message failed
    t.text('source'); // api | app | history
    ts(t, 'sent_at').notNullable(); // the WhatsApp timestamp
    ts(t, 'edited_at');
    ts(t, 'revoked_at');
    ts(t, 'deleted_at'); // hidden for the org (soft)
    ts(t, 'created_at').notNullable().defaultTo(knex.fn.now());
    ts(t, 'updated_at').notNullable().defaultTo(knex.fn.now());
  });
  // Status is derived from direction and ack, so it can never disagree with them.
  await knex.raw(`ALTER TABLE messages ADD COLUMN status text GENERATED ALWAYS AS (
    CASE WHEN direction = 'in' THEN 'received'
         WHEN ack < 0 THEN 'failed' WHEN ack = 0 THEN 'pending' WHEN ack = 1 THEN 'sent'
         WHEN ack = 2 THEN 'delivered' WHEN ack = 3 THEN 'read' ELSE 'played' END) STORED`);
  await knex.raw(`ALTER TABLE messages ADD CONSTRAINT messages_direction_check CHECK (direction IN ('in','out'))`);
  await knex.raw(`CREATE UNIQUE INDEX messages_engine_id_uq ON messages (device_id, engine_message_id)`);
  await knex.raw(`CREATE UNIQUE INDEX messages_client_id_uq ON messages (device_id, client_id)`);
  await knex.raw(`CREATE INDEX messages_chat_time_idx ON messages (chat_id, sent_at DESC, id DESC)`);

  // Updates (acks, edits, revokes) that arrived before their message; applied when it lands.
  await knex.schema.createTable('message_updates_pending', (t) => {
    t.uuid('device_id').notNullable().references('devices.id').onDelete('CASCADE');
    t.text('engine_message_id').notNullable();
    t.smallint('ack');
    t.text('edited_body');
    ts(t, 'edited_at');
    ts(t, 'revoked_at');
    ts(t, 'created_at').notNullable().defaultTo(knex.fn.now());
    t.primary(['device_id', 'engine_message_id']);
  });

  await knex.schema.createTable('message_reactions', (t) => {
    t.uuid('device_id').notNullable().references('devices.id').onDelete('CASCADE');
    t.text('engine_message_id').notNullable(); // the message reacted to
    t.text('sender_jid').notNullable();
    t.text('emoji'); // null = reaction removed
    ts(t, 'reacted_at').notNullable();
    t.primary(['device_id', 'engine_message_id', 'sender_jid']);
  });

  await knex.schema.createTable('wa_contacts', (t) => {
    t.bigIncrements('id').primary();
    t.uuid('org_id').notNullable();
    t.uuid('device_id').notNullable().references('devices.id').onDelete('CASCADE');
    t.text('jid').notNullable();
    t.text('phone_e164'); // derived from the JID (or the LID map)
    t.text('push_name');
    t.text('full_name');
    t.text('business_name');
    ts(t, 'updated_at').notNullable().defaultTo(knex.fn.now());
    t.unique(['device_id', 'jid']);
    t.index(['org_id', 'phone_e164']);
  });

  await knex.schema.createTable('lid_map', (t) => {
    t.uuid('device_id').notNullable().references('devices.id').onDelete('CASCADE');
    t.text('lid').notNullable();
    t.text('phone_jid').notNullable();
    ts(t, 'updated_at').notNullable().defaultTo(knex.fn.now());
    t.primary(['device_id', 'lid']);
  });

  await knex.schema.createTable('webhook_receipts', (t) => {
    t.uuid('device_id').notNullable().references('devices.id').onDelete('CASCADE');
    t.text('engine_event_id').notNullable();
    ts(t, 'received_at').notNullable().defaultTo(knex.fn.now());
    t.primary(['device_id', 'engine_event_id']);
  });
  await knex.raw(`CREATE INDEX webhook_receipts_received_idx ON webhook_receipts (received_at)`);

  // What is pushed to browsers, in order; replicas read new rows after a NOTIFY.
  await knex.schema.createTable('events', (t) => {
    t.bigIncrements('id').primary();
    t.uuid('org_id').notNullable();
    t.uuid('device_id');
    t.bigInteger('chat_id');
    t.text('type').notNullable();
    t.jsonb('data').notNullable();
    ts(t, 'created_at').notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`CREATE INDEX events_created_idx ON events (created_at)`);

  await knex.schema.createTable('sync_jobs', (t) => {
    t.bigIncrements('id').primary();
    t.uuid('org_id').notNullable();
    t.uuid('device_id').notNullable().references('devices.id').onDelete('CASCADE');
    t.text('status').notNullable().defaultTo('queued'); // queued | running | done | failed | cancelled
    t.text('trigger').notNullable(); // connected | manual
    t.integer('total_chats');
    t.integer('done_chats').notNullable().defaultTo(0);
    t.integer('total_messages');
    t.integer('done_messages').notNullable().defaultTo(0);
    t.integer('imported_messages').notNullable().defaultTo(0); // new rows (not already stored)
    t.jsonb('cursor'); // where to resume after a restart
    t.text('error');
    ts(t, 'started_at');
    ts(t, 'finished_at');
    ts(t, 'heartbeat_at');
    ts(t, 'created_at').notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`CREATE INDEX sync_jobs_device_idx ON sync_jobs (device_id, id DESC)`);
  // At most one import at a time per device.
  await knex.raw(`CREATE UNIQUE INDEX sync_jobs_active_uq ON sync_jobs (device_id) WHERE status IN ('queued','running')`);
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['sync_jobs', 'events', 'webhook_receipts', 'lid_map', 'wa_contacts', 'message_reactions', 'message_updates_pending', 'messages', 'chats', 'device_members', 'devices']) {
    await knex.schema.dropTableIfExists(t);
  }
}
