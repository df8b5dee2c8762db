import type { Knex } from 'knex';
import { prepared } from '../../platform/db/prepared.js';
import { ACK, type EngineMessage } from '../engines/engine.types.js';
import { CALL_RANK } from '../engines/system-lines.js';
import { EVENTS_CHANNEL } from '../realtime/event-log.js';
import { isoSql, presentMessageSql } from '../messages/messages.presenter.js';
import { presentChatSql } from '../chats/chats.presenter.js';
import type { DeviceCtx, IngestOptions, IngestResult, ReceivedMessage } from './ingest.types.js';

export type BatchMessage = EngineMessage & { device: DeviceCtx };

const chatKey = (m: BatchMessage) => `${m.device.id}|${m.chatJid}`;
/** The name a message can give its chat: the sender's push name in a one-to-one chat. */
const nameFor = (m: BatchMessage) => (!m.isGroup && !m.fromMe ? (m.pushName ?? null) : null);

/**
 * Resolves LID chats through the map, creates missing chats, and returns (device|jid) → chat id.
 * `seen` collects the ids read, for the caller to remember once they are committed. When this
 * process knows every chat already (and none can get a name from this batch), no statement runs.
 */
export async function ensureChats(trx: Knex, msgs: BatchMessage[], known: IngestOptions['knownChats'], seen: IngestResult['chatsSeen']) {
  const lidKeys = msgs.filter((m) => m.chatJid.endsWith('@lid')).map((m) => ({ device_id: m.device.id, lid: m.chatJid }));
  if (lidKeys.length) {
    const { rows } = await prepared(
      trx,
      'ingest_lid_lookup',
      `SELECT l.device_id, l.lid, l.phone_jid FROM lid_map l JOIN json_to_recordset(?::json) AS x(device_id uuid, lid text)
       ON l.device_id = x.device_id AND l.lid = x.lid`,
      [JSON.stringify(lidKeys)],
    );
    const map = new Map<string, string>(rows.map((r: { device_id: string; lid: string; phone_jid: string }) => [`${r.device_id}|${r.lid}`, r.phone_jid]));
    for (const m of msgs) {
      const pn = map.get(chatKey(m));
      if (pn) {
        if (m.senderJid === m.chatJid) m.senderJid = pn;
        m.chatJid = pn;
      }
    }
  }
  const chats = new Map<string, { org_id: string; device_id: string; jid: string; name: string | null; is_group: boolean }>();
  for (const m of msgs) {
    const prev = chats.get(chatKey(m));
    chats.set(chatKey(m), { org_id: m.device.orgId, device_id: m.device.id, jid: m.chatJid, name: prev?.name ?? nameFor(m), is_group: m.isGroup });
  }
  // Chats this process has seen are not asked for again, unless this batch can give them a name.
  const ids = new Map<string, number>();
  for (const [key, c] of chats) {
    const hit = known?.get(key);
    if (hit && (hit.named || !c.name)) {
      ids.set(key, hit.id);
      chats.delete(key);
    }
  }
  if (!chats.size) return ids;
  const keep = (r: ChatKeyRow) => {
    ids.set(`${r.device_id}|${r.jid}`, Number(r.id));
    seen.push([`${r.device_id}|${r.jid}`, { id: Number(r.id), named: r.named }]);
  };
  // One round trip: rows this statement inserted or renamed come from `ins`; the others already existed.
  const { rows } = await prepared(
    trx,
    'ingest_chats',
    `WITH x AS (SELECT * FROM json_to_recordset(?::json) AS x(org_id uuid, device_id uuid, jid text, name text, is_group boolean)),
     ins AS (
       INSERT INTO chats (org_id, device_id, jid, name, is_group)
       SELECT org_id, device_id, jid, name, is_group FROM x
       ORDER BY device_id, jid -- one lock order for every writer, so concurrent batches cannot deadlock
       ON CONFLICT (device_id, jid) DO UPDATE SET name = EXCLUDED.name, updated_at = now()
       WHERE chats.name IS NULL AND EXCLUDED.name IS NOT NULL
       RETURNING id, device_id, jid, name IS NOT NULL AS named)
     SELECT id, device_id, jid, named FROM ins
     UNION ALL
     SELECT c.id, c.device_id, c.jid, c.name IS NOT NULL FROM chats c JOIN x ON c.device_id = x.device_id AND c.jid = x.jid
     WHERE NOT EXISTS (SELECT 1 FROM ins WHERE ins.device_id = c.device_id AND ins.jid = c.jid)`,
    [JSON.stringify([...chats.values()])],
  );
  (rows as ChatKeyRow[]).forEach(keep);
  // A chat another batch committed while this statement waited on it is invisible to the statement's
  // snapshot; a second statement (a fresh snapshot) finds it.
  const missing = [...chats.entries()].filter(([k]) => !ids.has(k)).map(([, c]) => c);
  if (missing.length) {
    const { rows: late } = await prepared(
      trx,
      'ingest_chats_late',
      `SELECT c.id, c.device_id, c.jid, c.name IS NOT NULL AS named FROM chats c
       JOIN json_to_recordset(?::json) AS x(device_id uuid, jid text) ON c.device_id = x.device_id AND c.jid = x.jid`,
      [JSON.stringify(missing)],
    );
    (late as ChatKeyRow[]).forEach(keep);
  }
  return ids;
}

type ChatKeyRow = { id: number; device_id: string; jid: string; named: boolean };

/**
 * Whether `m` may be the engine's echo of an outbox row still waiting for its id (see `joinEchoes`).
 * An echo of an id this process already wrote on its row (`knownSent`) lands on that row through the
 * message key alone.
 */
export const mayBeUnjoinedEcho = (deviceId: string, m: EngineMessage, knownSent: IngestOptions['knownSent']) =>
  m.fromMe && m.source === 'api' && !knownSent?.get(`${deviceId}|${m.id}`);

export const mayBeEchoes = (msgs: BatchMessage[], knownSent: IngestOptions['knownSent']) =>
  msgs.some((m) => mayBeUnjoinedEcho(m.device.id, m, knownSent));

/** The ack a message is stored with: our own are at least sent; incoming ones carry no delivery state. */
const storedAck = (m: EngineMessage) => (m.fromMe ? Math.max(m.ack ? ACK[m.ack] : ACK.sent, ACK.sent) : 0);

/**
 * Drops echoes that would change nothing: our own sends, already marked sent by this process with at
 * least the echo's ack and the engine's full id. (Most echoes of what we send; the insert would be a no-op.)
 */
export function dropKnownEchoes(messages: Map<string, BatchMessage>, knownSent: IngestOptions['knownSent']) {
  for (const [key, m] of messages) {
    if (!m.fromMe || m.source !== 'api') continue;
    const sent = knownSent?.get(`${m.device.id}|${m.id}`);
    if (sent && storedAck(m) <= sent.ack && (sent.fullId || !m.engineFullId)) messages.delete(key);
  }
}

/**
 * WAHA echoes what we send (message.any, source api). When the echo's id is not on any row yet, it
 * is our outbox row still waiting for its id (the echo can beat the send's answer, or the answer may
 * lack the id): the oldest recent row of that chat without an engine id, same text, same media-ness,
 * takes the echo's id, so the insert below lands on it (ON CONFLICT) instead of making a second row.
 * Row locks make this safe against the outbox worker writing the id at the same moment.
 */
export async function joinEchoes(trx: Knex, msgs: BatchMessage[], chats: Map<string, number>) {
  for (const m of msgs) {
    if (!m.fromMe || m.source !== 'api') continue;
    const chatId = chats.get(chatKey(m));
    if (!chatId) continue;
    await prepared(
      trx,
      'ingest_echo',
      `UPDATE messages SET engine_message_id = ?, engine_full_id = COALESCE(engine_full_id, ?), updated_at = now()
       WHERE id = (
         SELECT o.id FROM messages o
         WHERE o.chat_id = ? AND o.direction = 'out' AND o.engine_message_id IS NULL AND o.ack IN (0, 1)
           AND COALESCE(o.body, '') = ? AND (o.media IS NULL) = ? AND o.created_at > now() - interval '10 minutes'
           AND NOT EXISTS (SELECT 1 FROM messages t WHERE t.device_id = ? AND t.engine_message_id = ?)
         ORDER BY o.id LIMIT 1 FOR UPDATE)
         AND engine_message_id IS NULL`,
      [m.id, m.engineFullId ?? null, chatId, m.body ?? '', !m.media, m.device.id, m.id],
    );
  }
}

/**
 * Stores messages and everything that follows from them in ONE statement, so a batch of new
 * messages to known chats is one round trip and needs no transaction of its own:
 * - updates (acks, edits, revokes) that arrived before their message are taken from the pending
 *   table, so a new row is born with them (those parked by a batch committing beside this one are
 *   seen by neither: the ingest's sweep, `applyParked`, applies them);
 * - live (not history): each chat's last message, preview and unread count move on, and the
 *   `message.created` / `message.updated` / `chat.updated` events are appended, with one NOTIFY.
 * Returns how many messages were new and, live, the new ones (for `message.received` after commit).
 */
export async function storeMessages(db: Knex, msgs: BatchMessage[], chats: Map<string, number>, history: boolean): Promise<{ inserted: number; received: ReceivedMessage[]; parked: ParkedSealed[] }> {
  const rows = msgs.map((m) => ({
    org_id: m.device.orgId,
    device_id: m.device.id,
    chat_id: chats.get(chatKey(m)),
    engine_message_id: m.id,
    engine_full_id: m.engineFullId ?? null,
    direction: m.fromMe ? 'out' : 'in',
    sender_jid: m.senderJid,
    sender_name: m.fromMe ? null : (m.pushName ?? null),
    kind: m.kind ?? 'message',
    type: m.type,
    body: m.body,
    content: m.content ?? null,
    media: m.media
      ? { mimetype: m.media.mimetype ?? null, filename: m.media.filename ?? null, size: m.media.size ?? null, engineUrl: m.media.url ?? null, hasInline: !!m.media.base64, mediaId: m.media.mediaId ?? null }
      : null,
    reply_to_engine_id: m.replyToId ?? null,
    ack: storedAck(m),
    source: history ? 'history' : (m.source ?? 'app'),
    sent_at: m.timestamp.toISOString(),
    message_secret: m.secret ?? null,
  }));
  const { rows: out } = await prepared(db, 'ingest_store_messages', STORE_MESSAGES, [JSON.stringify(rows), history, EVENTS_CHANNEL]);
  const received = ((out[0].received ?? []) as [number, number, string, string, 'in' | 'out', boolean][]).map(
    ([messageId, chatId, orgId, deviceId, direction, remoteMedia]) => ({ messageId: Number(messageId), chatId: Number(chatId), orgId, deviceId, direction, remoteMedia }),
  );
  return { inserted: Number(out[0].inserted), received, parked: (out[0].parked ?? []) as ParkedSealed[] };
}

/** A sealed change that waited for its original, which this statement stored. */
export interface ParkedSealed {
  device_id: string;
  change: Record<string, unknown>;
}

/** SQL rank of a call line's type (system-lines.ts CALL_RANK); 0 for anything else. */
const CALL_RANK_SQL = (t: string) => `(CASE ${t} ${Object.entries(CALL_RANK).map(([k, v]) => `WHEN '${k}' THEN ${v}`).join(' ')} ELSE 0 END)`;
const VIDEO = (t: string) => `COALESCE((${t}.content->>'video')::boolean, false)`;
/** Both rows are a call's line; the stored one learns something: a further state, that it was video, an earlier time. */
const CALLS = `(m.kind = 'system' AND ${CALL_RANK_SQL('m.type')} > 0 AND ${CALL_RANK_SQL('EXCLUDED.type')} > 0)`;
const CALL_NEWS = `(${CALLS} AND (${CALL_RANK_SQL('EXCLUDED.type')} > ${CALL_RANK_SQL('m.type')} OR (${VIDEO('EXCLUDED')} AND NOT ${VIDEO('m')}) OR EXCLUDED.sent_at < m.sent_at))`;

// json, not jsonb, for the batch: the text is read once as the rows are made, where a jsonb parameter
// is first built whole as jsonb (about 8 µs a message more, measured at 1,000 a batch).
const STORE_MESSAGES = `
WITH x AS (SELECT * FROM json_to_recordset(?::json) AS x(org_id uuid, device_id uuid, chat_id bigint, engine_message_id text,
    engine_full_id text, direction text, sender_jid text, sender_name text, kind text, type text, body text, content jsonb, media jsonb,
    reply_to_engine_id text, ack smallint, source text, sent_at timestamptz, message_secret text)),
  opt AS (SELECT ?::boolean AS history),
  -- Updates that came first: locked (a batch adding to one is waited for, and its version read), and
  -- taken only by the rows this statement inserts (unp). A message already stored keeps its parked
  -- row for the ingest's sweep, which applies it whole (a repeat must not drop an edit it cannot apply).
  -- (One key lookup per message, in key order: a planner guessing the batch's size would scan the table.)
  -- Usually no device of the batch has any parked: one probe then, instead of one per message.
  p AS (SELECT p.* FROM (SELECT device_id, engine_message_id FROM x ORDER BY device_id, engine_message_id) k
    CROSS JOIN LATERAL (SELECT * FROM message_updates_pending p WHERE p.device_id = k.device_id AND p.engine_message_id = k.engine_message_id FOR UPDATE) p
    WHERE EXISTS (SELECT 1 FROM message_updates_pending q WHERE q.device_id IN (SELECT device_id FROM x))),
  ins AS (
    INSERT INTO messages AS m (org_id, device_id, chat_id, engine_message_id, engine_full_id, direction, sender_jid, sender_name, kind, type,
      body, content, media, reply_to_engine_id, ack, source, sent_at, edited_at, revoked_at, edits, message_secret)
    SELECT x.org_id, x.device_id, x.chat_id, x.engine_message_id, x.engine_full_id, x.direction, x.sender_jid, x.sender_name, x.kind, x.type,
      CASE WHEN p.revoked_at IS NOT NULL THEN NULL ELSE COALESCE(p.edited_body, x.body) END, x.content, x.media,
      x.reply_to_engine_id, GREATEST(x.ack, COALESCE(p.ack, x.ack)), x.source, x.sent_at, p.edited_at, p.revoked_at,
      CASE WHEN p.edited_body IS NOT NULL AND p.edited_body IS DISTINCT FROM x.body AND p.revoked_at IS NULL
        THEN jsonb_build_array(jsonb_build_object('text', x.body, 'at', ${isoSql('x.sent_at')})) END,
      decode(x.message_secret, 'base64')
    FROM x LEFT JOIN p ON p.device_id = x.device_id AND p.engine_message_id = x.engine_message_id
    ORDER BY x.device_id, x.engine_message_id
    ON CONFLICT (device_id, engine_message_id) DO UPDATE SET
      ack = GREATEST(m.ack, EXCLUDED.ack),
      engine_full_id = COALESCE(m.engine_full_id, EXCLUDED.engine_full_id),
      -- A "waiting for this message" placeholder is replaced in place by the real message;
      -- a call's line moves up to its furthest state (missed < declined < answered), keeping what it knew.
      type = CASE WHEN m.type = 'pending_decryption' OR (${CALLS} AND ${CALL_RANK_SQL('EXCLUDED.type')} > ${CALL_RANK_SQL('m.type')}) THEN EXCLUDED.type ELSE m.type END,
      -- An edit (or revoke) that reached the placeholder first stays: the real text joins the edits.
      body = CASE WHEN m.type <> 'pending_decryption' THEN m.body WHEN m.revoked_at IS NOT NULL THEN NULL
        WHEN m.edited_at IS NOT NULL AND m.body IS NOT NULL THEN m.body ELSE EXCLUDED.body END,
      edits = CASE WHEN m.type = 'pending_decryption' AND m.revoked_at IS NULL AND m.edited_at IS NOT NULL AND m.body IS NOT NULL
          AND EXCLUDED.body IS DISTINCT FROM m.body
        THEN jsonb_build_array(jsonb_build_object('text', EXCLUDED.body, 'at', ${isoSql('EXCLUDED.sent_at')}))
          || COALESCE((SELECT jsonb_agg(e) FROM jsonb_array_elements(m.edits) e WHERE e->>'text' IS NOT NULL), '[]'::jsonb)
        ELSE m.edits END,
      content = CASE WHEN m.type = 'pending_decryption' THEN EXCLUDED.content
        WHEN ${CALLS} THEN m.content || jsonb_build_object('video', ${VIDEO('m')} OR ${VIDEO('EXCLUDED')})
        ELSE m.content END,
      media = CASE WHEN m.type = 'pending_decryption' THEN EXCLUDED.media ELSE m.media END,
      reply_to_engine_id = CASE WHEN m.type = 'pending_decryption' THEN EXCLUDED.reply_to_engine_id ELSE m.reply_to_engine_id END,
      message_secret = COALESCE(m.message_secret, EXCLUDED.message_secret),
      -- A call's line keeps the time it was offered, whichever of its events came first.
      sent_at = CASE WHEN ${CALLS} THEN LEAST(m.sent_at, EXCLUDED.sent_at) ELSE m.sent_at END,
      updated_at = now()
    WHERE EXCLUDED.ack > m.ack OR (m.engine_full_id IS NULL AND EXCLUDED.engine_full_id IS NOT NULL)
      OR (m.type = 'pending_decryption' AND EXCLUDED.type <> 'pending_decryption') OR ${CALL_NEWS}
    RETURNING m.*, (xmax = 0) AS inserted),
  unp AS (DELETE FROM message_updates_pending d USING ins WHERE ins.inserted AND d.device_id = ins.device_id AND d.engine_message_id = ins.engine_message_id),
  -- Live only from here. Each new message with the number of our own newer ones in its chat:
  -- writing from the phone reads the chat there, so unread restarts after our own message.
  fresh AS (
    SELECT i.chat_id, i.id, i.sent_at, i.direction, i.org_id, i.device_id,
      i.media->>'engineUrl' IS NOT NULL AND i.media->>'mediaId' IS NULL AS remote_media,
      CASE WHEN COALESCE(i.body, '') <> '' THEN left(i.body, 140) WHEN i.type = 'pending_decryption' THEN 'Waiting for this message'
        ELSE '[' || i.type || ']' END AS preview,
      count(*) FILTER (WHERE i.direction = 'out') OVER (PARTITION BY i.chat_id ORDER BY i.sent_at DESC, i.id DESC
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS own_after
    -- System lines (calls, group events) are in the timeline but neither preview nor unread.
    FROM ins i WHERE i.inserted AND i.kind = 'message' AND NOT (SELECT history FROM opt)),
  v AS (
    SELECT chat_id, bool_or(direction = 'out') AS reset, count(*) FILTER (WHERE direction = 'in' AND own_after = 0) AS unread,
      (array_agg(id ORDER BY sent_at DESC, id DESC))[1] AS mid, max(sent_at) AS at,
      (array_agg(preview ORDER BY sent_at DESC, id DESC))[1] AS preview
    FROM fresh GROUP BY chat_id),
  -- Chats are locked in id order first: concurrent batches touching the same chats then wait for
  -- each other instead of deadlocking (NO KEY, so message inserts checking the key do not wait).
  locked AS (SELECT c.id FROM chats c WHERE c.id IN (SELECT chat_id FROM v) ORDER BY c.id FOR NO KEY UPDATE),
  bumped AS (
    UPDATE chats c SET
      unread_count = CASE WHEN v.reset THEN v.unread ELSE c.unread_count + v.unread END,
      last_message_id = CASE WHEN c.last_message_at IS NULL OR v.at >= c.last_message_at THEN v.mid ELSE c.last_message_id END,
      last_message_preview = CASE WHEN c.last_message_at IS NULL OR v.at >= c.last_message_at THEN v.preview ELSE c.last_message_preview END,
      last_message_at = GREATEST(c.last_message_at, v.at),
      updated_at = now()
    FROM v JOIN locked l ON l.id = v.chat_id
    WHERE c.id = v.chat_id RETURNING c.*),
  ev AS (
    INSERT INTO events (org_id, device_id, chat_id, type, data)
    SELECT org_id, device_id, chat_id, type, data FROM (
      SELECT CASE WHEN i.inserted THEN 1 ELSE 2 END AS k, i.id AS o, i.org_id, i.device_id, i.chat_id,
        CASE WHEN i.inserted THEN 'message.created' ELSE 'message.updated' END AS type, ${presentMessageSql('i')} AS data
      FROM ins i WHERE NOT (SELECT history FROM opt)
      UNION ALL
      SELECT 3, b.id, b.org_id, b.device_id, b.id, 'chat.updated', ${presentChatSql('b')} FROM bumped b) e
    ORDER BY k, o
    RETURNING id)
SELECT (SELECT count(*) FROM ins WHERE inserted) AS inserted,
  -- Sealed changes that waited for one of these messages (read, not taken: the caller opens and removes them).
  (SELECT json_agg(json_build_object('device_id', s.device_id, 'change', s.change)) FROM x
    CROSS JOIN LATERAL (SELECT * FROM sealed_updates_pending s WHERE s.device_id = x.device_id AND s.target_engine_id = x.engine_message_id) s) AS parked,
  (SELECT json_agg(json_build_array(id, chat_id, org_id, device_id, direction, remote_media)) FROM fresh) AS received,
  (SELECT pg_notify(?, max(id)::text) FROM ev HAVING count(*) > 0) AS notified`;
