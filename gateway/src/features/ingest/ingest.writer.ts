import type { Knex } from 'knex';
import { phoneOfJid } from '../engines/jid.js';
import { ACK, type AckName, type DeviceStatus, type EngineContact, type EngineEvent, type EngineMessage, type LidMapping, type SealedChange, type SessionState } from '../engines/engine.types.js';
import { CALL_RANK } from '../engines/system-lines.js';
import { editTextOf, openSealed, optionsOfHashes, pollVoteHashes } from '../engines/msg-secret.js';
import { appendEvents, type NewEvent } from '../realtime/event-log.js';
import { isoSql, MESSAGE_COLUMNS, POLL_VOTES, presentMessage, tallyVotes, type MessageRow, type PollVoteRow } from '../messages/messages.presenter.js';
import { presentChat, type ChatRow } from '../chats/chats.presenter.js';
import { prepared } from '../../platform/db/prepared.js';
import type { DeviceCtx, IngestItem, IngestOptions, IngestResult } from './ingest.types.js';
import { dropKnownEchoes, ensureChats, joinEchoes, mayBeEchoes, storeMessages, type BatchMessage, type ParkedSealed } from './ingest.messages.js';

/**
 * Stores one batch of normalized engine events, idempotently: unique keys make any number of
 * repeats, in any order, one row. Bulk statements take their rows as one json parameter
 * (json_to_recordset), so a batch is a handful of round trips whatever its size; the usual live
 * batch (new messages) is a single statement and no transaction, two when it starts a chat.
 */
export async function writeBatch(db: Knex, items: IngestItem[], opts: IngestOptions = {}): Promise<IngestResult> {
  const result: IngestResult = { insertedMessages: 0, received: [], changed: [], statusChanges: [], contactsWritten: [], chatsSeen: [] };
  const bag = batchOf(items, opts);
  // WhatsApp's contact names stand apart (keyed, no event, needed by nothing else here): they are
  // written beside the rest, on their own connection, off the batch's critical path.
  const contacts = newContacts(bag.contacts, opts.knownContacts);
  const [, rest] = await Promise.all([upsertContacts(db, contacts), writeRest(db, items, bag, opts, result)]);
  rest.contactsWritten = contacts.map(([key, names]) => [key, names]);
  return rest;
}

async function writeRest(db: Knex, items: IngestItem[], bag: Bag, opts: IngestOptions, result: IngestResult): Promise<IngestResult> {
  const msgs = [...bag.messages.values()];
  const more = bag.lids.size + bag.acks.size + bag.edits.size + bag.revokes.size + bag.reactions.size + bag.states.length + bag.votes.size + bag.names.size + bag.sealed.size;
  if (!items.some(needsReceipt) && !more && (opts.history || !mayBeEchoes(msgs, opts.knownSent))) {
    if (!msgs.length) return result;
    // New chats are written first, on their own: a chat left without its message by a failed
    // statement is harmless (the engine retries the delivery; sending to a number also starts one).
    const chats = await ensureChats(db, msgs, opts.knownChats, result.chatsSeen);
    const stored = await storeMessages(db, msgs, chats, !!opts.history);
    ({ inserted: result.insertedMessages, received: result.received } = stored);
    // Originals that sealed changes waited for: those are opened and applied now (rare, so a transaction of their own).
    if (stored.parked.length) {
      await db.transaction(async (trx) => {
        const sub = collect([]);
        for (const [id, d] of bag.devices) sub.devices.set(id, d);
        const events: NewEvent[] = [];
        await openSealedChanges(trx, sub, stored.parked, opts);
        await applyChanges(trx, sub, events, result);
        await appendEvents(trx, events);
      });
    }
    return result;
  }
  return db.transaction((trx) => writeInTransaction(trx, items, bag, opts, result));
}

async function writeInTransaction(trx: Knex, items: IngestItem[], all: Bag, opts: IngestOptions, result: IngestResult): Promise<IngestResult> {
  const fresh = await dropSeenDeliveries(trx, items);
  const bag = fresh.length === items.length ? all : batchOf(fresh, opts);
  const events: NewEvent[] = [];
  await upsertLids(trx, bag.lids);
  let parked: ParkedSealed[] = [];
  if (bag.messages.size) {
    const msgs = [...bag.messages.values()];
    const chats = await ensureChats(trx, msgs, opts.knownChats, result.chatsSeen);
    if (!opts.history) await joinEchoes(trx, msgs, chats);
    ({ inserted: result.insertedMessages, received: result.received, parked } = await storeMessages(trx, msgs, chats, !!opts.history));
  }
  // After the messages: a sealed change and its original may come in one batch.
  await openSealedChanges(trx, bag, parked, opts);
  await applyChanges(trx, bag, events, result);
  for (const c of await upsertChatNames(trx, bag)) {
    events.push({ orgId: c.org_id, deviceId: c.device_id, chatId: Number(c.id), type: 'chat.updated', data: presentChat(c) });
  }
  for (const s of bag.states) {
    const change = await applyDeviceState(trx, s.device, s.state);
    if (change) {
      result.statusChanges.push(change);
      events.push({ orgId: s.device.orgId, deviceId: s.device.id, type: 'device.status', data: { deviceId: s.device.id, status: change.to as DeviceStatus, previous: change.from, statusDetail: change.detail, engineReachable: true, engineCheckedAt: change.at } });
    }
  }
  await appendEvents(trx, events);
  return result;
}

/** Acks, edits, revokes, reactions and votes of a batch, with the events they cause. */
async function applyChanges(trx: Knex, bag: Bag, events: NewEvent[], result: IngestResult) {
  for (const m of await applyUpdates(trx, bag)) {
    const device = bag.devices.get(m.device_id)!;
    events.push(messageEvent('message.updated', device, m));
    result.changed.push({ orgId: device.orgId, deviceId: device.id, chatId: Number(m.chat_id), messageId: Number(m.id) });
  }
  await upsertReactions(trx, bag);
  for (const m of await upsertVotes(trx, bag)) {
    const device = bag.devices.get(m.device_id)!;
    events.push({ orgId: device.orgId, deviceId: device.id, chatId: Number(m.chat_id), type: 'message.updated', data: { ...presentMessage(m), pollVotes: tallyVotes(m, m.poll_votes) } });
    result.changed.push({ orgId: device.orgId, deviceId: device.id, chatId: Number(m.chat_id), messageId: Number(m.id) });
  }
}

// ---------- parked changes whose original came beside them ----------

/** Parked changes one sweep takes at most (a full pass goes on until none is left). */
const SWEEP_LIMIT = 1000;

/**
 * Applies parked changes whose original is stored by now. Under READ COMMITTED a change parked while
 * another batch was writing its original, both uncommitted, is seen by neither batch: each looked
 * before the other committed. Once both have, this finds them (an indexed join, usually empty): the
 * parked rows are taken (row-locked, skipping those a batch holds), the sealed ones opened, and all
 * applied by the usual statements, which are idempotent (a second application changes nothing).
 * `all`: every parked change, not only the last hour's (the hourly maintenance pass).
 */
export async function applyParked(db: Knex, opts: IngestOptions & { all?: boolean } = {}): Promise<IngestResult & { applied: number }> {
  const total = { insertedMessages: 0, received: [], changed: [], statusChanges: [], contactsWritten: [], chatsSeen: [], applied: 0 } as IngestResult & { applied: number };
  for (;;) {
    const taken = await db.transaction(async (trx) => {
      const parked = await takeStored<ParkedPlain>(trx, 'plain', !!opts.all);
      const sealed = await takeStored<ParkedSealed>(trx, 'sealed', !!opts.all);
      const more = parked.length === SWEEP_LIMIT || sealed.length === SWEEP_LIMIT;
      if (!parked.length && !sealed.length) return { taken: 0, more };
      const bag = collect([]);
      const ids = [...new Set([...parked, ...sealed].map((r) => r.device_id))];
      const { rows: devices } = await prepared(trx, 'ingest_sweep_devices', `SELECT id, org_id, engine, status FROM devices WHERE id = ANY(?::uuid[])`, [ids]);
      for (const d of devices as { id: string; org_id: string; engine: DeviceCtx['engine']; status: string }[]) bag.devices.set(d.id, { id: d.id, orgId: d.org_id, engine: d.engine, status: d.status });
      for (const r of parked) {
        const device = bag.devices.get(r.device_id);
        if (!device) continue;
        const k = `${r.device_id}|${r.engine_message_id}`;
        if (r.ack !== null) bag.acks.set(k, { device, id: r.engine_message_id, ack: Number(r.ack) });
        if (r.edited_at) bag.edits.set(k, { device, id: r.engine_message_id, body: r.edited_body, at: new Date(r.edited_at) });
        if (r.revoked_at) bag.revokes.set(k, { device, id: r.engine_message_id, at: new Date(r.revoked_at) });
      }
      const events: NewEvent[] = [];
      // Sealed first: an opened edit replaces the textless one parked beside it for the same moment.
      await openSealedChanges(trx, bag, sealed, opts);
      await applyChanges(trx, bag, events, total);
      await appendEvents(trx, events);
      return { taken: parked.length + sealed.length, more };
    });
    total.applied += taken.taken;
    if (!taken.more) return total;
  }
}

/** A plain parked change (message_updates_pending) as a sweep takes it. */
type ParkedPlain = { device_id: string; engine_message_id: string; ack: number | null; edited_body: string | null; edited_at: Date | null; revoked_at: Date | null };

/** The two kinds of parked change: the table, its key, the column naming the original, what a sweep reads back. */
const PARKED = {
  plain: { table: 'message_updates_pending', key: 'engine_message_id', target: 'engine_message_id', returning: 'p.engine_message_id, p.ack, p.edited_body, p.edited_at, p.revoked_at' },
  sealed: { table: 'sealed_updates_pending', key: 'sealed_id', target: 'target_engine_id', returning: 'p.change' },
} as const;

/**
 * Takes up to SWEEP_LIMIT parked changes of one kind whose original is stored by now (row-locked,
 * skipping those a batch holds) and deletes them; `all`: not only the last hour's.
 */
async function takeStored<T>(trx: Knex, kind: keyof typeof PARKED, all: boolean): Promise<T[]> {
  const { table, key, target, returning } = PARKED[kind];
  const age = all ? '' : `AND p.created_at > now() - interval '1 hour'`;
  const { rows } = await prepared(trx, `ingest_sweep_${kind}${all ? '_all' : ''}`,
    `WITH c AS (
       SELECT p.device_id, p.${key} FROM ${table} p
       JOIN messages m ON m.device_id = p.device_id AND m.engine_message_id = p.${target}
       WHERE true ${age} ORDER BY p.device_id, p.${key} LIMIT ${SWEEP_LIMIT} FOR UPDATE OF p SKIP LOCKED)
     DELETE FROM ${table} p USING c WHERE p.device_id = c.device_id AND p.${key} = c.${key}
     RETURNING p.device_id, ${returning}`,
  );
  return rows;
}

// ---------- collecting a batch ----------

/** A batch's events merged by key, without the echoes that would change nothing. */
function batchOf(items: IngestItem[], opts: IngestOptions): Bag {
  const bag = collect(items);
  if (!opts.history) dropKnownEchoes(bag.messages, opts.knownSent);
  return bag;
}

interface Bag {
  devices: Map<string, DeviceCtx>;
  messages: Map<string, BatchMessage>; // key device|id, merged
  acks: Map<string, { device: DeviceCtx; id: string; ack: number }>;
  edits: Map<string, { device: DeviceCtx; id: string; body: string | null; at: Date }>;
  votes: Map<string, { device: DeviceCtx; pollId: string; voter: string; options: string[]; at: Date }>; // key device|poll|voter
  names: Map<string, { device: DeviceCtx; jid: string; name: string; at: Date }>;
  revokes: Map<string, { device: DeviceCtx; id: string; at: Date }>;
  reactions: Map<string, { device: DeviceCtx; id: string; sender: string; emoji: string | null; at: Date }>;
  contacts: Map<string, { device: DeviceCtx; c: EngineContact }>;
  lids: Map<string, { device: DeviceCtx; m: LidMapping }>;
  states: { device: DeviceCtx; state: SessionState }[];
  sealed: Map<string, { device: DeviceCtx; change: SealedChange }>; // key device|sealed id
}

/** Merges duplicates inside the batch (message + message.any, retries) so each key appears once. */
function collect(items: IngestItem[]): Bag {
  const bag: Bag = { devices: new Map(), messages: new Map(), acks: new Map(), edits: new Map(), revokes: new Map(), reactions: new Map(), contacts: new Map(), lids: new Map(), states: [], votes: new Map(), names: new Map(), sealed: new Map() };
  for (const { device, events } of items) {
    bag.devices.set(device.id, device);
    for (const e of events) {
      const k = (id: string) => `${device.id}|${id}`;
      switch (e.kind) {
        case 'message': {
          const prev = bag.messages.get(k(e.message.id));
          bag.messages.set(k(e.message.id), prev ? mergeMessage(prev, e.message, device) : { device, ...e.message });
          if (!e.message.fromMe && e.message.pushName && e.message.senderJid && !e.message.senderJid.endsWith('@g.us'))
            bag.contacts.set(k(e.message.senderJid), { device, c: { jid: e.message.senderJid, pushName: e.message.pushName } });
          break;
        }
        case 'ack':
          for (const id of e.ids) {
            const prev = bag.acks.get(k(id));
            if (!prev || ACK[e.ack] > prev.ack) bag.acks.set(k(id), { device, id, ack: ACK[e.ack] });
          }
          break;
        case 'edit': {
          const prev = bag.edits.get(k(e.targetId));
          if (!prev || e.timestamp >= prev.at) bag.edits.set(k(e.targetId), { device, id: e.targetId, body: e.body, at: e.timestamp });
          break;
        }
        case 'revoke':
          bag.revokes.set(k(e.targetId), { device, id: e.targetId, at: e.timestamp });
          break;
        case 'reaction': {
          const sender = e.fromMe ? 'me' : (e.senderJid ?? 'unknown');
          const key = `${k(e.targetId)}|${sender}`;
          const prev = bag.reactions.get(key);
          if (!prev || e.timestamp >= prev.at) bag.reactions.set(key, { device, id: e.targetId, sender, emoji: e.emoji || null, at: e.timestamp });
          break;
        }
        case 'contact':
          bag.contacts.set(k(e.contact.jid), { device, c: { ...bag.contacts.get(k(e.contact.jid))?.c, ...stripNulls(e.contact) } as EngineContact });
          break;
        case 'lid':
          bag.lids.set(k(e.mapping.lid), { device, m: e.mapping });
          break;
        case 'session.status':
          bag.states.push({ device, state: { status: e.status, detail: e.detail, jid: e.jid, pushName: e.pushName, at: e.at ?? null } });
          break;
        case 'poll.vote': {
          const key = `${k(e.pollId)}|${e.voterJid}`;
          const prev = bag.votes.get(key);
          if (!prev || e.timestamp >= prev.at) bag.votes.set(key, { device, pollId: e.pollId, voter: e.voterJid, options: e.options, at: e.timestamp });
          break;
        }
        case 'chat.name': {
          const prev = bag.names.get(k(e.chatJid));
          if (!prev || e.at >= prev.at) bag.names.set(k(e.chatJid), { device, jid: e.chatJid, name: e.name, at: e.at });
          break;
        }
        case 'sealed':
          bag.sealed.set(k(e.change.id), { device, change: e.change });
          break;
        case 'qr':
          break;
      }
    }
  }
  return bag;
}

const stripNulls = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as Partial<T>;

function mergeMessage(a: BatchMessage, b: EngineMessage, device: DeviceCtx) {
  // A "waiting for this message" placeholder never overwrites the real message, whichever came first.
  if (b.type === 'pending_decryption' && a.type !== 'pending_decryption') return a;
  if (a.type === 'pending_decryption' && b.type !== 'pending_decryption') return { device, ...b } as BatchMessage;
  // A call's line keeps its furthest state (missed < declined < answered) and the time it was offered.
  const ra = CALL_RANK[a.type] ?? 0;
  const rb = CALL_RANK[b.type] ?? 0;
  if (ra && rb) {
    const top = rb > ra ? b : a;
    const video = (m: EngineMessage) => m.content?.type === 'call' && m.content.video;
    const content = top.content?.type === 'call' ? { ...top.content, video: video(a) || video(b) } : top.content;
    return { ...a, type: top.type, content, timestamp: a.timestamp <= b.timestamp ? a.timestamp : b.timestamp, device } as BatchMessage;
  }
  const ack = (m: EngineMessage) => (m.ack ? ACK[m.ack] : -2);
  return {
    ...a,
    ...stripNulls(b),
    // A phone-form chat beats a hidden LID form; the highest ack wins.
    chatJid: a.chatJid.endsWith('@lid') ? b.chatJid : a.chatJid,
    ack: ack(b) > ack(a) ? b.ack : a.ack,
    source: a.source ?? b.source,
    device,
  } as BatchMessage;
}

/**
 * Messages, contacts and LID pairs need no receipt: their keys already make any repeat one row and no
 * event. Deliveries with anything else (acks, edits, reactions, status…) are receipted by delivery id.
 */
const KEYED: ReadonlySet<EngineEvent['kind']> = new Set(['message', 'contact', 'lid', 'qr']);
const needsReceipt = (i: IngestItem) => !!i.eventId && i.events.some((e) => !KEYED.has(e.kind));

/** Deliveries whose engine id was already processed are dropped whole (WAHA retries, duplicates). */
async function dropSeenDeliveries(trx: Knex, items: IngestItem[]): Promise<IngestItem[]> {
  const withId = items.filter(needsReceipt);
  if (!withId.length) return items;
  const unique = new Map(withId.map((i) => [`${i.device.id}|${i.eventId}`, { device_id: i.device.id, engine_event_id: i.eventId }]));
  const { rows } = await prepared(trx, 'ingest_receipts',
    `INSERT INTO webhook_receipts (device_id, engine_event_id)
     SELECT device_id, engine_event_id FROM json_to_recordset(?::json) AS x(device_id uuid, engine_event_id text)
     ORDER BY device_id, engine_event_id
     ON CONFLICT DO NOTHING RETURNING device_id, engine_event_id`,
    [JSON.stringify([...unique.values()])],
  );
  const fresh = new Set(rows.map((r: { device_id: string; engine_event_id: string }) => `${r.device_id}|${r.engine_event_id}`));
  const taken = new Set<string>();
  return items.filter((i) => {
    if (!needsReceipt(i)) return true;
    const key = `${i.device.id}|${i.eventId}`;
    if (!fresh.has(key) || taken.has(key)) return false;
    taken.add(key);
    return true;
  });
}

// ---------- statements ----------


async function upsertLids(trx: Knex, lids: Bag['lids']) {
  if (!lids.size) return;
  await prepared(trx, 'ingest_lids',
    `INSERT INTO lid_map (device_id, lid, phone_jid)
     SELECT device_id, lid, phone_jid FROM json_to_recordset(?::json) AS x(device_id uuid, lid text, phone_jid text)
     ORDER BY device_id, lid
     ON CONFLICT (device_id, lid) DO UPDATE SET phone_jid = EXCLUDED.phone_jid, updated_at = now()
     WHERE lid_map.phone_jid <> EXCLUDED.phone_jid`,
    [JSON.stringify([...lids.values()].map(({ device, m }) => ({ device_id: device.id, lid: m.lid, phone_jid: m.phoneJid })))],
  );
}

type StoredMessage = MessageRow & { org_id: string };

/** Acks only move forward; edits keep the newest; revokes clear the body. Unknown targets wait as pending. */
async function applyUpdates(trx: Knex, bag: Bag): Promise<StoredMessage[]> {
  const keyed = new Map<string, { device_id: string; engine_message_id: string; ack: number | null; edited_body: string | null; edited_at: string | null; revoked_at: string | null }>();
  const row = (device: DeviceCtx, id: string) => {
    const k = `${device.id}|${id}`;
    let r = keyed.get(k);
    if (!r) keyed.set(k, (r = { device_id: device.id, engine_message_id: id, ack: null, edited_body: null, edited_at: null, revoked_at: null }));
    return r;
  };
  for (const a of bag.acks.values()) row(a.device, a.id).ack = a.ack;
  for (const e of bag.edits.values()) Object.assign(row(e.device, e.id), { edited_body: e.body, edited_at: e.at.toISOString() });
  for (const r of bag.revokes.values()) row(r.device, r.id).revoked_at = r.at.toISOString();
  if (!keyed.size) return [];
  const json = JSON.stringify([...keyed.values()]);
  const cols = `device_id uuid, engine_message_id text, ack smallint, edited_body text, edited_at timestamptz, revoked_at timestamptz`;
  const { rows } = await prepared(trx, 'ingest_updates',
    `UPDATE messages m SET
       ack = GREATEST(m.ack, COALESCE(v.ack, m.ack)),
       body = CASE WHEN v.revoked_at IS NOT NULL OR m.revoked_at IS NOT NULL THEN NULL
                   WHEN v.edited_at IS NOT NULL AND (m.edited_at IS NULL OR v.edited_at >= m.edited_at) THEN COALESCE(v.edited_body, m.body) ELSE m.body END,
       -- The text an edit replaces joins the history (an encrypted edit's text is unknown: nothing replaced).
       edits = CASE WHEN v.edited_at IS NOT NULL AND (m.edited_at IS NULL OR v.edited_at >= m.edited_at) AND v.edited_body IS NOT NULL
                     AND v.edited_body IS DISTINCT FROM m.body AND m.revoked_at IS NULL
                    -- (never replaced before: the text is the one sent, even when an unreadable edit marked it)
                    THEN COALESCE(m.edits, '[]'::jsonb) || jsonb_build_array(jsonb_build_object('text', m.body, 'at', ${isoSql('CASE WHEN m.edits IS NULL THEN m.sent_at ELSE COALESCE(m.edited_at, m.sent_at) END')}))
                    ELSE m.edits END,
       edited_at = CASE WHEN v.edited_at IS NOT NULL AND (m.edited_at IS NULL OR v.edited_at >= m.edited_at) THEN v.edited_at ELSE m.edited_at END,
       revoked_at = COALESCE(m.revoked_at, v.revoked_at),
       updated_at = now()
     FROM json_to_recordset(?::json) AS v(${cols})
     WHERE m.device_id = v.device_id AND m.engine_message_id = v.engine_message_id
       AND (COALESCE(v.ack, -9) > m.ack
            OR (v.edited_at IS NOT NULL AND (m.edited_at IS NULL OR v.edited_at > m.edited_at
                -- edits within one second (engines give seconds): a new known text still applies
                OR (v.edited_at = m.edited_at AND v.edited_body IS NOT NULL AND v.edited_body IS DISTINCT FROM m.body)))
            OR (v.revoked_at IS NOT NULL AND m.revoked_at IS NULL))
     RETURNING ${MESSAGE_COLUMNS}`,
    [json],
  );
  await prepared(trx, 'ingest_pending',
    `INSERT INTO message_updates_pending (device_id, engine_message_id, ack, edited_body, edited_at, revoked_at)
     SELECT v.device_id, v.engine_message_id, v.ack, v.edited_body, v.edited_at, v.revoked_at FROM json_to_recordset(?::json) AS v(${cols})
     WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.device_id = v.device_id AND m.engine_message_id = v.engine_message_id)
     ON CONFLICT (device_id, engine_message_id) DO UPDATE SET
       ack = GREATEST(message_updates_pending.ack, EXCLUDED.ack),
       edited_body = CASE WHEN EXCLUDED.edited_at >= COALESCE(message_updates_pending.edited_at, EXCLUDED.edited_at) THEN COALESCE(EXCLUDED.edited_body, message_updates_pending.edited_body) ELSE message_updates_pending.edited_body END,
       edited_at = GREATEST(message_updates_pending.edited_at, EXCLUDED.edited_at),
       revoked_at = COALESCE(message_updates_pending.revoked_at, EXCLUDED.revoked_at)`,
    [json],
  );
  return rows as StoredMessage[];
}

/** Each voter's latest whole choice; returns the poll messages whose votes changed (with all their votes). */
async function upsertVotes(trx: Knex, bag: Bag): Promise<(StoredMessage & { poll_votes: PollVoteRow[] })[]> {
  if (!bag.votes.size) return [];
  const { rows } = await prepared(trx, 'ingest_poll_votes',
    `WITH up AS (
       INSERT INTO poll_votes (device_id, poll_engine_id, voter_jid, options, voted_at)
       SELECT device_id, poll_engine_id, voter_jid, options, voted_at FROM json_to_recordset(?::json)
         AS x(device_id uuid, poll_engine_id text, voter_jid text, options jsonb, voted_at timestamptz)
       ORDER BY device_id, poll_engine_id, voter_jid
       ON CONFLICT (device_id, poll_engine_id, voter_jid) DO UPDATE SET options = EXCLUDED.options, voted_at = EXCLUDED.voted_at
       WHERE EXCLUDED.voted_at >= poll_votes.voted_at AND EXCLUDED.options IS DISTINCT FROM poll_votes.options
       RETURNING device_id, poll_engine_id)
     SELECT ${MESSAGE_COLUMNS}, ${POLL_VOTES} FROM messages m
     WHERE (m.device_id, m.engine_message_id) IN (SELECT DISTINCT device_id, poll_engine_id FROM up) AND m.deleted_at IS NULL`,
    [JSON.stringify([...bag.votes.values()].map((v) => ({ device_id: v.device.id, poll_engine_id: v.pollId, voter_jid: v.voter, options: v.options, voted_at: v.at.toISOString() })))],
  );
  // Votes written in this statement are not visible to its own SELECT: merge them in.
  return (rows as (StoredMessage & { poll_votes: PollVoteRow[] | null })[]).map((m) => {
    const byVoter = new Map((m.poll_votes ?? []).map((v) => [v.voter_jid, v]));
    for (const v of bag.votes.values()) {
      if (v.device.id === m.device_id && v.pollId === m.engine_message_id) byVoter.set(v.voter, { voter_jid: v.voter, options: v.options, voted_at: v.at.toISOString() });
    }
    return { ...m, poll_votes: [...byVoter.values()] };
  });
}

type SealedTarget = { device_id: string; engine_message_id: string; secret: string | null; sender_jid: string | null; direction: string; content: { type?: string; options?: string[] } | null; device_jid: string | null };

/**
 * Opens the batch's sealed changes (and those that waited for an original this batch stored) with the
 * originals' stored secrets: an edit becomes an edit with its text, a vote the voter's choice, both
 * applied by the usual statements after this. A change whose original is not stored yet waits in
 * sealed_updates_pending; one that cannot be opened (no secret, or it does not authenticate) keeps the
 * plain edit the parser sent beside it (the original shows "edited", its text unchanged) and is counted.
 */
async function openSealedChanges(trx: Knex, bag: Bag, parked: ParkedSealed[], opts: IngestOptions) {
  const list = [...bag.sealed.values()].map((x) => ({ ...x, parked: false }));
  for (const p of parked) {
    const device = bag.devices.get(p.device_id);
    const c = p.change as unknown as SealedChange & { timestamp: string };
    if (device && c && typeof c.targetId === 'string') list.push({ device, change: { ...c, timestamp: new Date(c.timestamp) }, parked: true });
  }
  if (!list.length) return;
  const keys = [...new Map(list.map((x) => [`${x.device.id}|${x.change.targetId}`, { device_id: x.device.id, engine_message_id: x.change.targetId }])).values()];
  const { rows } = await prepared(trx, 'ingest_sealed_targets',
    `SELECT m.device_id, m.engine_message_id, encode(m.message_secret, 'base64') AS secret, m.sender_jid, m.direction, m.content, d.jid AS device_jid
     FROM json_to_recordset(?::json) AS x(device_id uuid, engine_message_id text)
     JOIN messages m ON m.device_id = x.device_id AND m.engine_message_id = x.engine_message_id
     JOIN devices d ON d.id = m.device_id`,
    [JSON.stringify(keys)],
  );
  const targets = new Map((rows as SealedTarget[]).map((r) => [`${r.device_id}|${r.engine_message_id}`, r]));
  // Every JID named, in its other form too (phone ↔ LID): phones mid-way through the LID migration seal with either.
  const named = new Set<string>();
  for (const x of list) [...x.change.origSenders, ...x.change.modSenders].forEach((j) => named.add(j));
  for (const t of targets.values()) [t.sender_jid, t.device_jid].forEach((j) => j && named.add(j));
  const { rows: lidRows } = await prepared(trx, 'ingest_sealed_lids',
    `SELECT device_id, lid, phone_jid FROM lid_map WHERE device_id = ANY(?::uuid[]) AND (lid = ANY(?::text[]) OR phone_jid = ANY(?::text[]))`,
    [[...bag.devices.keys()], [...named], [...named]],
  );
  const alt = new Map<string, string[]>();
  for (const r of lidRows as { device_id: string; lid: string; phone_jid: string }[]) {
    for (const [a, b] of [[r.lid, r.phone_jid], [r.phone_jid, r.lid]] as const) alt.set(`${r.device_id}|${a}`, [...(alt.get(`${r.device_id}|${a}`) ?? []), b]);
  }
  const widen = (deviceId: string, jids: (string | null | undefined)[]) => {
    const out = jids.filter((j): j is string => !!j);
    return [...new Set([...out, ...out.flatMap((j) => alt.get(`${deviceId}|${j}`) ?? [])])];
  };
  const park: { device_id: string; sealed_id: string; target_engine_id: string; change: SealedChange }[] = [];
  for (const { device, change, parked: wasParked } of list) {
    const t = targets.get(`${device.id}|${change.targetId}`);
    if (!t) {
      if (!wasParked) park.push({ device_id: device.id, sealed_id: change.id, target_engine_id: change.targetId, change });
      continue;
    }
    if (!t.secret) {
      opts.onSealed?.('no_secret', { deviceId: device.id, targetId: change.targetId, use: change.use });
      continue;
    }
    const own = t.device_jid;
    const plain = openSealed({
      use: change.use,
      origId: change.targetId,
      origSenders: widen(device.id, [...change.origSenders, t.direction === 'out' ? own : t.sender_jid]),
      modSenders: widen(device.id, [...change.modSenders, change.fromMe ? own : null]),
      secret: Buffer.from(t.secret, 'base64'),
      iv: Buffer.from(change.iv, 'base64'),
      payload: Buffer.from(change.payload, 'base64'),
    });
    const k = `${device.id}|${change.targetId}`;
    if (plain && change.use === 'edit') {
      const text = editTextOf(plain);
      if (typeof text === 'string') {
        const prev = bag.edits.get(k);
        // The opened edit replaces the parser's textless one for the same moment.
        if (!prev || change.timestamp > prev.at || (change.timestamp.getTime() === prev.at.getTime() && prev.body === null)) {
          bag.edits.set(k, { device, id: change.targetId, body: text, at: change.timestamp });
        }
        opts.onSealed?.('opened', { deviceId: device.id, targetId: change.targetId, use: change.use });
        continue;
      }
    }
    if (plain && change.use === 'pollVote') {
      const hashes = pollVoteHashes(plain);
      const voter = change.senderJid ?? (change.fromMe ? own : null);
      if (hashes && voter) {
        const options = optionsOfHashes(t.content?.type === 'poll' ? (t.content.options ?? []) : [], hashes);
        const key = `${k}|${voter}`;
        const prev = bag.votes.get(key);
        if (!prev || change.timestamp >= prev.at) bag.votes.set(key, { device, pollId: change.targetId, voter, options, at: change.timestamp });
        opts.onSealed?.('opened', { deviceId: device.id, targetId: change.targetId, use: change.use });
        continue;
      }
    }
    opts.onSealed?.('failed', { deviceId: device.id, targetId: change.targetId, use: change.use });
  }
  if (park.length) {
    await prepared(trx, 'ingest_sealed_park',
      `INSERT INTO sealed_updates_pending (device_id, sealed_id, target_engine_id, change)
       SELECT device_id, sealed_id, target_engine_id, change FROM json_to_recordset(?::json) AS x(device_id uuid, sealed_id text, target_engine_id text, change jsonb)
       ORDER BY device_id, sealed_id
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(park)],
    );
  }
  // Exactly the parked changes read (by their own ids): one a batch parked for the same original since
  // then was not opened here, and stays for the sweep.
  const unpark = list.filter((x) => x.parked && targets.has(`${x.device.id}|${x.change.targetId}`)).map((x) => ({ device_id: x.device.id, sealed_id: x.change.id }));
  if (unpark.length) {
    await prepared(trx, 'ingest_sealed_unpark',
      `DELETE FROM sealed_updates_pending s USING json_to_recordset(?::json) AS x(device_id uuid, sealed_id text)
       WHERE s.device_id = x.device_id AND s.sealed_id = x.sealed_id`,
      [JSON.stringify(unpark)],
    );
  }
}

/** Names the engine gives chats (group subjects, history): they replace the stored one. */
async function upsertChatNames(trx: Knex, bag: Bag): Promise<(ChatRow & { org_id: string })[]> {
  if (!bag.names.size) return [];
  const { rows } = await prepared(trx, 'ingest_chat_names',
    `INSERT INTO chats AS c (org_id, device_id, jid, name, is_group, name_set_at)
     SELECT org_id, device_id, jid, name, jid LIKE '%@g.us', at FROM json_to_recordset(?::json) AS x(org_id uuid, device_id uuid, jid text, name text, at timestamptz)
     ORDER BY device_id, jid
     ON CONFLICT (device_id, jid) DO UPDATE SET name = EXCLUDED.name, name_set_at = EXCLUDED.name_set_at, updated_at = now()
     WHERE c.name IS DISTINCT FROM EXCLUDED.name AND (c.name_set_at IS NULL OR EXCLUDED.name_set_at >= c.name_set_at)
     RETURNING c.*`,
    [JSON.stringify([...bag.names.values()].map((n) => ({ org_id: n.device.orgId, device_id: n.device.id, jid: n.jid, name: n.name, at: n.at.toISOString() })))],
  );
  return rows;
}

async function upsertReactions(trx: Knex, bag: Bag) {
  if (!bag.reactions.size) return;
  await prepared(trx, 'ingest_reactions',
    `INSERT INTO message_reactions (device_id, engine_message_id, sender_jid, emoji, reacted_at)
     SELECT device_id, engine_message_id, sender_jid, emoji, reacted_at FROM json_to_recordset(?::json)
       AS x(device_id uuid, engine_message_id text, sender_jid text, emoji text, reacted_at timestamptz)
     ORDER BY device_id, engine_message_id, sender_jid
     ON CONFLICT (device_id, engine_message_id, sender_jid) DO UPDATE SET emoji = EXCLUDED.emoji, reacted_at = EXCLUDED.reacted_at
     WHERE EXCLUDED.reacted_at >= message_reactions.reacted_at`,
    [JSON.stringify([...bag.reactions.values()].map((r) => ({ device_id: r.device.id, engine_message_id: r.id, sender_jid: r.sender, emoji: r.emoji, reacted_at: r.at.toISOString() })))],
  );
}

/** The contacts of a batch whose names this process has not stored yet, with those names. */
function newContacts(all: Bag['contacts'], known?: IngestOptions['knownContacts']) {
  const out: [string, string, { device: DeviceCtx; c: EngineContact }][] = [];
  for (const [key, v] of all) {
    const names = `${v.c.pushName ?? ''}|${v.c.fullName ?? ''}|${v.c.businessName ?? ''}`;
    if (known?.get(key) !== names) out.push([key, names, v]);
  }
  return out;
}

async function upsertContacts(db: Knex, contacts: ReturnType<typeof newContacts>) {
  if (!contacts.length) return;
  await prepared(db, 'ingest_contacts',
    `INSERT INTO wa_contacts (org_id, device_id, jid, push_name, full_name, business_name)
     SELECT org_id, device_id, jid, push_name, full_name, business_name FROM json_to_recordset(?::json)
       AS x(org_id uuid, device_id uuid, jid text, push_name text, full_name text, business_name text)
     ORDER BY device_id, jid
     ON CONFLICT (device_id, jid) DO UPDATE SET
       push_name = COALESCE(EXCLUDED.push_name, wa_contacts.push_name),
       full_name = COALESCE(EXCLUDED.full_name, wa_contacts.full_name),
       business_name = COALESCE(EXCLUDED.business_name, wa_contacts.business_name),
       updated_at = now()
     WHERE (EXCLUDED.push_name IS NOT NULL AND EXCLUDED.push_name IS DISTINCT FROM wa_contacts.push_name)
        OR (EXCLUDED.full_name IS NOT NULL AND EXCLUDED.full_name IS DISTINCT FROM wa_contacts.full_name)
        OR (EXCLUDED.business_name IS NOT NULL AND EXCLUDED.business_name IS DISTINCT FROM wa_contacts.business_name)`,
    [
      JSON.stringify(
        contacts.map(([, , { device, c }]) => ({
          org_id: device.orgId,
          device_id: device.id,
          jid: c.jid,
          push_name: c.pushName ?? null,
          full_name: c.fullName ?? null,
          business_name: c.businessName ?? null,
        })),
      ),
    ],
  );
}

async function applyDeviceState(trx: Knex, device: DeviceCtx, state: SessionState) {
  const at = state.at && Number.isFinite(state.at.getTime()) ? state.at.toISOString() : null;
  const { rows } = await prepared(trx, 'ingest_device_state',
    `UPDATE devices d SET
       status = ?, status_at = CASE WHEN d.status <> ? THEN now() ELSE d.status_at END, status_detail = ?,
       -- The engine just spoke to us: it is reachable.
       engine_reachable = true, engine_checked_at = now(),
       connected_at = CASE WHEN ? = 'connected' AND d.status <> 'connected' THEN now() ELSE d.connected_at END,
       jid = COALESCE(?, d.jid), phone = COALESCE(?, d.phone), push_name = COALESCE(?, d.push_name), updated_at = now(),
       engine_state_at = GREATEST(d.engine_state_at, ?::timestamptz)
     FROM (SELECT id, status AS old_status, engine_state_at AS old_at FROM devices WHERE id = ? FOR NO KEY UPDATE) o
     WHERE d.id = o.id AND d.deleted_at IS NULL
       -- After a logout the engine restarts the session and offers a QR; to us the device stays
       -- logged out until someone asks for that QR again.
       AND NOT (o.old_status = 'logged_out' AND ? IN ('starting', 'qr'))
       -- Webhooks arrive in any order (concurrent posts, retries): a status older than the one applied
       -- is left out. Engines that give no time (WuzAPI) only show a QR to a session not logged in,
       -- and leaving 'connected' comes with its own event: a QR after 'connected' is a late one.
       AND (?::timestamptz IS NULL OR o.old_at IS NULL OR ?::timestamptz >= o.old_at)
       AND NOT (?::timestamptz IS NULL AND o.old_status = 'connected' AND ? = 'qr')
     RETURNING o.old_status, d.status, d.status_detail, d.engine_checked_at`,
    [
      state.status, state.status, state.detail ?? null, state.status, state.jid ?? null, phoneOfJid(state.jid), state.pushName ?? null, at,
      device.id, state.status, at, at, at, state.status,
    ],
  );
  const r = rows[0] as { old_status: string; status: string; status_detail: string | null; engine_checked_at: Date } | undefined;
  if (!r || r.old_status === r.status) return null;
  return { orgId: device.orgId, deviceId: device.id, from: r.old_status, to: r.status, detail: r.status_detail, at: new Date(r.engine_checked_at).toISOString() };
}

function messageEvent(type: 'message.created' | 'message.updated', device: DeviceCtx, m: StoredMessage): NewEvent {
  return { orgId: device.orgId, deviceId: device.id, chatId: Number(m.chat_id), type, data: presentMessage(m) };
}

export type { AckName };
