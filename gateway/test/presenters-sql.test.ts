import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../src/platform/db/knex.js';
import { presentMessage, presentMessageSql, type MessageRow } from '../src/features/messages/messages.presenter.js';
import { messageBaseSchema } from '../src/features/messages/messages.schemas.js';
import { chatSummarySchema } from '../src/features/chats/chats.schemas.js';
import { MESSAGE_COLUMNS } from '../src/features/messages/messages.repository.js';
import { presentChat, presentChatSql, type ChatRow } from '../src/features/chats/chats.presenter.js';
import { createTestDatabase } from './support/test-db.js';
import { makeOrg, makeUser } from './support/factories.js';

// The ingest writes its events' data in SQL (one statement per batch); the API presents rows in JS.
// A browser must not be able to tell the two apart.

let db: Db;
let drop: () => Promise<void>;
let chatIds: number[] = [];

beforeAll(async () => {
  const t = await createTestDatabase();
  drop = t.drop;
  db = createDb(t.url, { min: 0, max: 2 });
  const org = await makeOrg(db);
  const owner = await makeUser(db, org.id, 'admin');
  const [device] = await db('devices')
    .insert({ org_id: org.id, owner_id: owner.id, name: 'Phone', engine: 'waha', engine_session: 'presenters', webhook_secret: 'x' })
    .returning('*');
  const chats = await db('chats')
    .insert([
      { org_id: org.id, device_id: device.id, jid: '4915100000001@c.us', name: 'Ana Müller', is_group: false },
      { org_id: org.id, device_id: device.id, jid: '120363000000000001@g.us', name: null, is_group: true, unread_count: 7, last_message_preview: 'Grüße 👋', last_message_at: new Date('2026-11-22T10:11:12.345Z') },
    ])
    .returning('id');
  chatIds = chats.map((c: { id: number }) => Number(c.id));
  const base = { org_id: org.id, device_id: device.id, chat_id: chatIds[0], sent_at: new Date('2026-11-22T08:00:00Z') };
  const [first] = await db('messages')
    .insert([
      { ...base, engine_message_id: 'IN1', direction: 'in', sender_jid: '4915100000001@c.us', sender_name: 'Ana', type: 'text', body: 'Hallo "du" \\ ok', ack: 0, source: 'app' },
      { ...base, engine_message_id: 'OUT1', client_id: 'c-1', direction: 'out', type: 'image', body: null, ack: 3, source: 'api', media: { mimetype: 'image/png', filename: 'a.png', size: 12, engineUrl: 'http://x', hasInline: false, mediaId: null } },
      { ...base, engine_message_id: 'OUT2', direction: 'out', type: 'text', body: 'failed', ack: -1, error: 'engine said no', reply_to_engine_id: 'IN1', edited_at: new Date('2026-11-22T09:00:00.123Z') },
      { ...base, engine_message_id: 'IN2', direction: 'in', type: 'text', body: 'gone', revoked_at: new Date('2026-11-22T09:30:00Z'), media: { mimetype: null } },
      { ...base, engine_message_id: null, client_id: 'c-2', direction: 'out', type: 'text', body: 'again', ack: 0, error: 'engine_unreachable: down', next_attempt_at: new Date('2026-11-22T09:31:00.5Z') },
    ])
    .returning('id');
  await db('chats').where({ id: chatIds[0] }).update({ last_message_id: first.id, last_message_at: base.sent_at, last_message_preview: 'Hallo' });
});

afterAll(async () => {
  await db?.destroy();
  await drop?.();
});

describe('events written in SQL look exactly like the API', () => {
  it('when messages of every shape are presented in SQL and in JS, then each pair is equal', async () => {
    const { rows } = await db.raw(`SELECT ${MESSAGE_COLUMNS}, ${presentMessageSql('m')} AS sql FROM messages m ORDER BY m.id`);
    expect(rows).toHaveLength(5);
    for (const r of rows as (MessageRow & { sql: unknown })[]) expect(r.sql).toEqual(JSON.parse(JSON.stringify(presentMessage(r))));
  });

  it('when messages of every shape are presented in SQL and in JS, then both are exactly the schema (its keys, no others, its types)', async () => {
    const { rows } = await db.raw(`SELECT ${MESSAGE_COLUMNS}, ${presentMessageSql('m')} AS sql FROM messages m ORDER BY m.id`);
    for (const r of rows as (MessageRow & { sql: unknown })[]) {
      // strict: a key the schema lacks is an error, as is a missing key or a wrong type
      expect(messageBaseSchema.safeParse(r.sql).error?.issues).toBeUndefined();
      expect(messageBaseSchema.safeParse(JSON.parse(JSON.stringify(presentMessage(r)))).error?.issues).toBeUndefined();
      expect(Object.keys(r.sql as object).sort()).toEqual(Object.keys(messageBaseSchema.shape).sort());
    }
  });

  it('when chats with and without a last message are presented in SQL and in JS, then each pair is equal', async () => {
    const { rows } = await db.raw(`SELECT c.*, ${presentChatSql('c')} AS sql FROM chats c ORDER BY c.id`);
    expect(rows).toHaveLength(2);
    for (const r of rows as (ChatRow & { sql: unknown })[]) {
      expect(r.sql).toEqual(JSON.parse(JSON.stringify(presentChat(r))));
      expect(chatSummarySchema.strict().safeParse(r.sql).error?.issues).toBeUndefined();
    }
  });
});
