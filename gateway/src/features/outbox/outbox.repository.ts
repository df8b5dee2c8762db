// The outbox's SQL. The ack column only moves forward (GREATEST everywhere), with one exception made
// here on purpose: POST /api/messages/:id/retry puts a failed message (-1) back to pending (0).
import { isUniqueViolation } from '../../platform/db/pg-errors.js';
import type { Knex } from 'knex';
import { prepared } from '../../platform/db/prepared.js';
import { EVENTS_CHANNEL, appendEvents } from '../realtime/event-log.js';
import { presentMessage, presentMessageSql, type MessageRow } from '../messages/messages.presenter.js';
import { presentChatSql } from '../chats/chats.presenter.js';
import type { EngineKind } from '../engines/engine.types.js';
import type { AuthUser } from '../../platform/http/auth-context.js';
import { permissionBindings, permissionSql } from '../access/access.policy.js';

/** Who may send, checked inside the insert itself (one round trip): the policy's `chat.send` on `c`/`d`. */
const SENDER_SQL = permissionSql('chat.send', 'd', 'c');

/** What a claimed send needs besides its row, from its chat (ch) and device (d): see `Claimed`. */
const CLAIMED_FROM_CHAT_AND_DEVICE = `ch.jid AS chat_jid, d.engine, d.engine_session, d.engine_url, d.engine_token, d.engine_ref, d.deleted_at AS device_deleted_at`;

export type OutRow = MessageRow & { org_id: string; attempts: number; send_uncertain: boolean; created_at: Date; deleted_at: Date | null };

export interface NewOut {
  chatId: number;
  clientId: string | null;
  type: string;
  body: string | null;
  media: { mediaId: string; mimetype: string; filename: string; size: number } | null;
  replyToEngineId: string | null;
}

/** A pending message as written; `leased` when it was written already claimed by this process. */
export type Pending = Claimed & { leased: boolean };

/**
 * Writes the pending message, its message.created event, the chat's last message and its chat.updated event (+ NOTIFY) in
 * ONE statement (one round trip, atomic). The event is the presenter's output for this row, with
 * the three values only the database knows (id, device, our own JID) filled in by SQL.
 *
 * With `leaseMs`, a message that is the only one its chat has waiting is written already claimed
 * (as claimDue would: attempt 1, leased, uncertain until its outcome is known), so the caller
 * delivers it without a claim. A send answered before this one began is visible here, so a chat's
 * sends still go out in the order they were answered; sends to one chat racing each other have no
 * order to keep.
 * Returns null when `sender` may not send in this chat, or the client id is already taken on this device.
 */
export async function insertPending(db: Knex, m: NewOut, sender: Pick<AuthUser, 'id' | 'orgId'>, leaseMs: number | null = null): Promise<Pending | null> {
  const sentAt = new Date();
  const draft = presentMessage({
    id: 0, chat_id: m.chatId, device_id: '', engine_message_id: null, client_id: m.clientId, direction: 'out', sender_jid: null, sender_name: null,
    type: m.type, body: m.body, media: m.media, reply_to_engine_id: m.replyToEngineId, ack: 0, status: 'pending', error: null, next_attempt_at: null, source: 'api',
    sent_at: sentAt, edited_at: null, revoked_at: null,
  });
  const { rows } = await prepared(
    db,
    'outbox_insert_pending',
    `WITH m AS (
       INSERT INTO messages (org_id, device_id, chat_id, client_id, direction, sender_jid, type, body, media, reply_to_engine_id, ack, source, sent_at,
         attempts, send_uncertain, in_flight, next_attempt_at)
       SELECT c.org_id, c.device_id, c.id, ?, 'out', d.jid, ?, ?, ?::jsonb, ?, 0, 'api', ?, l.leased::int, l.leased, l.leased,
         now() + (CASE WHEN l.leased THEN ? ELSE 0 END * interval '1 millisecond')
       FROM chats c JOIN devices d ON d.id = c.device_id
       CROSS JOIN LATERAL (SELECT ?::boolean AND NOT EXISTS (
         SELECT 1 FROM messages o WHERE o.chat_id = c.id AND o.direction = 'out' AND o.ack = 0 AND o.next_attempt_at IS NOT NULL) AS leased
         OFFSET 0) l -- OFFSET 0: looked up once, not once for each of the three uses of l.leased
       WHERE c.id = ? AND ${SENDER_SQL}
       ON CONFLICT (device_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
       RETURNING *),
     ev AS (
       INSERT INTO events (org_id, device_id, chat_id, type, data)
       SELECT org_id, device_id, chat_id, 'message.created', ?::jsonb || jsonb_build_object('id', id, 'deviceId', device_id, 'from', sender_jid) FROM m
       RETURNING id),
     moved AS (
       UPDATE chats SET last_message_id = m.id, last_message_at = m.sent_at, updated_at = now(),
         last_message_preview = COALESCE(left(NULLIF(m.body, ''), 140), '[' || m.type || ']')
       FROM m WHERE chats.id = m.chat_id AND (chats.last_message_at IS NULL OR chats.last_message_at <= m.sent_at)
       RETURNING chats.*),
     -- The chat moved (preview, time, order): the same chat.updated an incoming message gives, so every
     -- tab of everyone who sees the chat reorders its list.
     evc AS (
       INSERT INTO events (org_id, device_id, chat_id, type, data)
       SELECT org_id, device_id, id, 'chat.updated', ${presentChatSql('moved')} FROM moved
       RETURNING id)
     SELECT m.*, m.send_uncertain AS leased, false AS was_uncertain, ${CLAIMED_FROM_CHAT_AND_DEVICE},
       (SELECT pg_notify(?, max(id)::text) FROM (SELECT id FROM ev UNION ALL SELECT id FROM evc) e) AS notified
     FROM m JOIN chats ch ON ch.id = m.chat_id JOIN devices d ON d.id = m.device_id`,
    [m.clientId, m.type, m.body, m.media ? JSON.stringify(m.media) : null, m.replyToEngineId, sentAt, leaseMs ?? 0, leaseMs !== null, m.chatId,
      ...permissionBindings('chat.send', sender), JSON.stringify(draft), EVENTS_CHANNEL],
  );
  return (rows[0] as Pending | undefined) ?? null;
}

export const byClientId = (db: Knex, deviceId: string, clientId: string) =>
  db<OutRow>('messages').where({ device_id: deviceId, client_id: clientId }).first();

export const byId = (db: Knex, orgId: string, id: number) => db<OutRow>('messages').where({ id, org_id: orgId }).whereNull('deleted_at').first();

export interface Claimed extends OutRow {
  was_uncertain: boolean;
  chat_jid: string;
  engine: EngineKind;
  engine_session: string;
  engine_url: string | null;
  engine_token: string | null;
  engine_ref: string | null;
  device_deleted_at: Date | null;
}

/**
 * Takes due messages, at most one per chat (the oldest waiting: a chat's messages go out in order),
 * and leases them: another replica sees them again only if this one dies. SKIP LOCKED lets replicas
 * claim side by side. Each claim marks the send as possibly done until its outcome is known.
 */
export async function claimDue(db: Knex, limit: number, leaseMs: number): Promise<Claimed[]> {
  const { rows } = await prepared(
    db,
    'outbox_claim_due',
    `WITH c AS (
       SELECT m.id, m.send_uncertain FROM messages m
       WHERE m.direction = 'out' AND m.ack = 0 AND m.next_attempt_at IS NOT NULL AND m.next_attempt_at <= now()
         AND NOT EXISTS (SELECT 1 FROM messages o WHERE o.chat_id = m.chat_id AND o.direction = 'out' AND o.ack = 0
                         AND o.next_attempt_at IS NOT NULL AND o.id < m.id)
       ORDER BY m.next_attempt_at LIMIT ? FOR UPDATE OF m SKIP LOCKED)
     UPDATE messages m SET attempts = m.attempts + 1, send_uncertain = true, in_flight = true, updated_at = now(),
       next_attempt_at = now() + (? * interval '1 millisecond')
     FROM c, chats ch, devices d
     WHERE m.id = c.id AND ch.id = m.chat_id AND d.id = m.device_id
     RETURNING m.*, c.send_uncertain AS was_uncertain, ${CLAIMED_FROM_CHAT_AND_DEVICE}`,
    [limit, leaseMs],
  );
  return rows as Claimed[];
}

/** Keeps the id chosen for an engine that takes one, so every retry sends the same message. */
export async function planEngineId(db: Knex, id: number, engineId: string): Promise<string> {
  const { rows } = await db.raw(
    `UPDATE messages SET engine_message_id = COALESCE(engine_message_id, ?) WHERE id = ? RETURNING engine_message_id`,
    [engineId, id],
  );
  return rows[0].engine_message_id as string;
}

/** The replied-to message, as an engine needs it. */
export const replyTarget = (db: Knex, deviceId: string, engineId: string) =>
  db('messages').where({ device_id: deviceId, engine_message_id: engineId }).first('engine_message_id', 'engine_full_id', 'direction', 'sender_jid');

const event = (m: OutRow) => ({ orgId: m.org_id, deviceId: m.device_id, chatId: Number(m.chat_id), type: 'message.updated' as const, data: presentMessage(m) });

/** What marking a message sent tells the worker: the chat's next message (leased to it), or whether one waits, and what was written. */
export interface MarkedSent {
  /** The chat's next message, already claimed for this worker (only when `leaseMs` was given). */
  next: Claimed | null;
  /** Something else may be due (a next message not leased here): worth a claim. */
  hasNext: boolean;
  sent: { engineId: string; ack: number; fullId: boolean } | null;
}

/**
 * The engine took the message. With `leaseMs`, the chat's next message, when it is the oldest
 * waiting and due, is claimed in the same statement (a chat's messages go out one after another,
 * so the claim of the next is what every send but the first needs anyway).
 */
export async function markSent(db: Knex, row: Claimed, result: { id: string | null; engineFullId?: string | null }, leaseMs: number | null = null): Promise<MarkedSent> {
  const engineId = result.id ?? row.engine_message_id ?? null;
  try {
    const alone = await markSentAlone(db, row, engineId, result.engineFullId ?? null, leaseMs);
    if (alone) return alone;
  } catch (err) {
    // The id was given to another row meanwhile (an echo joined it): sort it out below, under locks.
    if (!isUniqueViolation(err)) throw err;
  }
  await markSentSwapping(db, row, engineId, result.engineFullId ?? null);
  return { next: null, hasNext: true, sent: null };
}

/**
 * The usual outcome, in one statement: no other row holds the engine's id. Takes early acks (a parked
 * edit or revoke stays parked, with its ack, for the ingest's sweep to apply), clears
 * the lease, appends message.updated (+ NOTIFY), and claims the chat's next message when it is the
 * oldest waiting and due; not skipping a locked one keeps the order (whoever holds it sends it).
 * Null when another row holds the id.
 */
async function markSentAlone(db: Knex, row: Claimed, engineId: string | null, engineFullId: string | null, leaseMs: number | null): Promise<MarkedSent | null> {
  const { rows } = await prepared(
    db,
    'outbox_mark_sent',
    `WITH holder AS (SELECT id FROM messages WHERE device_id = ? AND engine_message_id = ? AND id <> ?),
     early AS (DELETE FROM message_updates_pending WHERE device_id = ? AND engine_message_id = ? AND edited_at IS NULL AND revoked_at IS NULL AND NOT EXISTS (SELECT 1 FROM holder) RETURNING ack),
     upd AS (
       UPDATE messages SET engine_message_id = COALESCE(?, engine_message_id), engine_full_id = COALESCE(engine_full_id, ?),
         ack = GREATEST(ack, 1, (SELECT max(ack) FROM early)), next_attempt_at = NULL, error = NULL, send_uncertain = false, in_flight = false, updated_at = now()
       WHERE id = ? AND NOT EXISTS (SELECT 1 FROM holder) RETURNING *),
     ev AS (
       INSERT INTO events (org_id, device_id, chat_id, type, data)
       SELECT org_id, device_id, chat_id, 'message.updated', ${presentMessageSql('upd')} FROM upd RETURNING id),
     waiting AS (
       SELECT n.id, n.send_uncertain FROM messages n
       WHERE n.chat_id = ? AND n.direction = 'out' AND n.ack = 0 AND n.next_attempt_at IS NOT NULL AND n.id <> ? AND EXISTS (SELECT 1 FROM upd)
       ORDER BY n.id LIMIT 1),
     lease AS (
       UPDATE messages m SET attempts = m.attempts + 1, send_uncertain = true, in_flight = true, updated_at = now(),
         next_attempt_at = now() + (? * interval '1 millisecond')
       FROM waiting w WHERE ?::boolean AND m.id = w.id AND m.ack = 0 AND m.next_attempt_at <= now()
       RETURNING m.*, w.send_uncertain AS was_uncertain)
     SELECT EXISTS (SELECT 1 FROM holder) AS held, EXISTS (SELECT 1 FROM waiting) AS has_next,
       (SELECT pg_notify(?, max(id)::text) FROM ev HAVING count(*) > 0) AS notified,
       (SELECT json_build_object('engineId', engine_message_id, 'ack', ack, 'fullId', engine_full_id IS NOT NULL) FROM upd) AS sent,
       l.*, ${CLAIMED_FROM_CHAT_AND_DEVICE}
     FROM (SELECT 1) one LEFT JOIN lease l ON true LEFT JOIN chats ch ON ch.id = l.chat_id LEFT JOIN devices d ON d.id = l.device_id`,
    [row.device_id, engineId, row.id, row.device_id, engineId, engineId, engineFullId, row.id, row.chat_id, row.id, leaseMs ?? 0, leaseMs !== null, EVENTS_CHANNEL],
  );
  const { held, has_next: hasNext, notified: _n, sent, ...lease } = rows[0];
  if (held) return null;
  const next = lease.id ? (lease as Claimed) : null;
  return { next, hasNext: hasNext && !next, sent: sent?.engineId ? sent : null };
}

/**
 * The engine's id already sits on another row: WAHA's echo was joined to the wrong one of two
 * identical pending messages (then the two swap ids), or no pending row matched and it became a row
 * of its own (then it is folded into ours).
 */
async function markSentSwapping(db: Knex, row: Claimed, engineId: string | null, engineFullId: string | null): Promise<OutRow | null> {
  return db.transaction(async (trx) => {
    let ackFrom = 1;
    if (engineId) {
      const holder = await trx('messages').where({ device_id: row.device_id, engine_message_id: engineId }).whereNot('id', row.id).forUpdate().first();
      if (holder) {
        const mine = await trx('messages').where({ id: row.id }).forUpdate().first('engine_message_id');
        const other = mine?.engine_message_id && mine.engine_message_id !== engineId ? mine.engine_message_id : null;
        // Free both ids first: the unique key must hold after every statement.
        await trx('messages').where({ id: holder.id }).update({ engine_message_id: null });
        if (other) await trx('messages').where({ id: row.id }).update({ engine_message_id: null });
        if (holder.attempts > 0 || holder.client_id) {
          await trx('messages').where({ id: holder.id }).update({ engine_message_id: other });
        } else {
          ackFrom = Math.max(ackFrom, Number(holder.ack));
          await trx('messages').where({ id: holder.id }).del();
        }
      }
      // Acks that came before we knew the id waited in the pending table (edits and revokes stay for the sweep).
      const { rows: early } = await trx.raw(`DELETE FROM message_updates_pending WHERE device_id = ? AND engine_message_id = ? AND edited_at IS NULL AND revoked_at IS NULL RETURNING ack`, [row.device_id, engineId]);
      for (const e of early) if (e.ack !== null) ackFrom = Math.max(ackFrom, Number(e.ack));
    }
    const { rows } = await trx.raw(
      `UPDATE messages SET engine_message_id = COALESCE(?, engine_message_id), engine_full_id = COALESCE(engine_full_id, ?),
         ack = GREATEST(ack, ?), next_attempt_at = NULL, error = NULL, send_uncertain = false, in_flight = false, updated_at = now()
       WHERE id = ? RETURNING *`,
      [engineId, engineFullId, ackFrom, row.id],
    );
    const m = rows[0] as OutRow | undefined;
    if (m) await appendEvents(trx, [event(m)]);
    return m ?? null;
  });
}

/**
 * An attempt failed: again later (exponential backoff), or failed for good after the last attempt.
 * `uncertain` keeps the mark that the engine may have the message anyway (a timeout).
 */
export async function markFailure(db: Knex, row: Claimed, reason: string, uncertain: boolean, o: { maxAttempts: number; retryBaseMs: number }): Promise<OutRow | null> {
  const final = row.attempts >= o.maxAttempts;
  const delay = Math.min(o.retryBaseMs * 2 ** (row.attempts - 1), 15 * 60_000) * (0.8 + Math.random() * 0.4);
  return db.transaction(async (trx) => {
    const { rows } = await trx.raw(
      `UPDATE messages SET error = ?, send_uncertain = ?, in_flight = false, updated_at = now(),
         ack = CASE WHEN ? THEN -1 ELSE ack END,
         next_attempt_at = CASE WHEN ? THEN NULL ELSE now() + (? * interval '1 millisecond') END
       WHERE id = ? AND ack = 0 RETURNING *`,
      [reason.slice(0, 500), uncertain, final, final, Math.round(delay), row.id],
    );
    const m = rows[0] as OutRow | undefined;
    // Every failed attempt is news: the sender sees "not sent — retrying" and why from the first one.
    if (m) await appendEvents(trx, [event(m)]);
    return m ?? null;
  });
}

/**
 * "Retry now" of a send waiting for its next attempt: due at once, unless an attempt is out (then
 * that attempt's outcome stands, and nothing is sent twice). Null when there is nothing to hurry.
 */
export async function hurryWaiting(db: Knex, id: number): Promise<OutRow | null> {
  const { rows } = await db.raw(
    `UPDATE messages SET next_attempt_at = now(), updated_at = now()
     WHERE id = ? AND direction = 'out' AND ack = 0 AND next_attempt_at IS NOT NULL AND NOT in_flight RETURNING *`,
    [id],
  );
  return (rows[0] as OutRow | undefined) ?? null;
}

/** Retry of a failed message: back to pending with a fresh count (the one allowed step back of ack). */
export async function resetFailed(db: Knex, id: number): Promise<OutRow | null> {
  return db.transaction(async (trx) => {
    const { rows } = await trx.raw(
      `UPDATE messages SET ack = 0, attempts = 0, error = NULL, in_flight = false, next_attempt_at = now(), updated_at = now()
       WHERE id = ? AND ack = -1 AND direction = 'out' RETURNING *`,
      [id],
    );
    const m = rows[0] as OutRow | undefined;
    if (m) await appendEvents(trx, [event(m)]);
    return m ?? null;
  });
}
