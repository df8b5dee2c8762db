import type { Knex } from 'knex';
import { phoneOfJid } from '../engines/jid.js';
import { ACK, type AckName, type EngineContact, type EngineMessage, type LidMapping, type SessionState } from '../engines/engine.types.js';
import { appendEvents, type NewEvent } from '../realtime/event-log.js';
import { presentMessage, type MessageRow } from '../messages/messages.presenter.js';
import { presentChat, type ChatRow } from '../chats/chats.presenter.js';
import type { DeviceCtx, IngestItem, IngestOptions, IngestResult } from './ingest.types.js';

/**
 * Stores one batch of normalized engine events in the caller's transaction, idempotently: unique
 * keys make any number of repeats, in any order, one row. Bulk statements take their rows as one
 * jsonb parameter (jsonb_to_recordset), so a batch is a handful of round trips whatever its size.
 */
export async function writeBatch(trx: Knex, items: IngestItem[], opts: IngestOptions = {}): Promise<IngestResult> {
  const fresh = await dropSeenDeliveries(trx, items);
  const bag = collect(fresh);
  const events: NewEvent[] = [];
  const result: IngestResult = { insertedMessages: 0, statusChanges: [], contactsWritten: [] };

  await upsertLids(trx, bag.lids);
  if (bag.messages.size) {
    const chats = await ensureChats(trx, [...bag.messages.values()]);
    if (!opts.history) await joinEchoes(trx, [...bag.messages.values()], chats);
    const { inserted, updated } = await upsertMessages(trx, [...bag.messages.values()], chats, !!opts.history);
    result.insertedMessages = inserted.length;
    if (!opts.history) {
      const touched = await bumpChats(trx, inserted);
      const byId = bag.devices;
      for (const m of inserted) events.push(messageEvent('message.created', byId.get(m.device_id)!, m));
      for (const m of updated) events.push(messageEvent('message.updated', byId.get(m.device_id)!, m));
      for (const c of touched) events.push({ orgId: byId.get(c.device_id)!.orgId, deviceId: c.device_id, chatId: Number(c.id), type: 'chat.updated', data: presentChat(c) });
    }
  }
  for (const m of await applyUpdates(trx, bag)) events.push(messageEvent('message.updated', bag.devices.get(m.device_id)!, m));
  await upsertReactions(trx, bag);
  result.contactsWritten = await upsertContacts(trx, bag.contacts, opts.knownContacts);
  for (const s of bag.states) {
    const change = await applyDeviceState(trx, s.device, s.state);
    if (change) {
      result.statusChanges.push(change);
      events.push({ orgId: s.device.orgId, deviceId: s.device.id, type: 'device.status', data: { deviceId: s.device.id, status: change.to, previous: change.from } });
    }
  }
  await appendEvents(trx, events);
  return result;
}

// ---------- collecting a batch ----------

interface Bag {
  devices: Map<string, DeviceCtx>;
  messages: Map<string, EngineMessage & { device: DeviceCtx }>; // key device|id, merged
  acks: Map<string, { device: DeviceCtx; id: string; ack: number }>;
  edits: Map<string, { device: DeviceCtx; id: string; body: string; at: Date }>;
  revokes: Map<string, { device: DeviceCtx; id: string; at: Date }>;
  reactions: Map<string, { device: DeviceCtx; id: string; sender: string; emoji: string | null; at: Date }>;
  contacts: Map<string, { device: DeviceCtx; c: EngineContact }>;
  lids: Map<string, { device: DeviceCtx; m: LidMapping }>;
  states: { device: DeviceCtx; state: SessionState }[];
}

/** Merges duplicates inside the batch (message + message.any, retries) so each key appears once. */
function collect(items: IngestItem[]): Bag {
  const bag: Bag = { devices: new Map(), messages: new Map(), acks: new Map(), edits: new Map(), revokes: new Map(), reactions: new Map(), contacts: new Map(), lids: new Map(), states: [] };
  for (const { device, events } of items) {
    bag.devices.set(device.id, device);
    for (const e of events) {
      const k = (id: string) => `${device.id}|${id}`;
      switch (e.kind) {
        case 'message': {
          const prev = bag.messages.get(k(e.message.id));
          bag.messages.set(k(e.message.id), prev ? mergeMessage(prev, e.message, device) : { ...e.message, device });
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
          bag.states.push({ device, state: { status: e.status, jid: e.jid, pushName: e.pushName } });
          break;
        case 'qr':
          break;
      }
    }
  }
  return bag;
}

const stripNulls = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as Partial<T>;

function mergeMessage(a: EngineMessage & { device: DeviceCtx }, b: EngineMessage, device: DeviceCtx) {
  const ack = (m: EngineMessage) => (m.ack ? ACK[m.ack] : -2);
  return {
    ...a,
    ...stripNulls(b),
    // A phone-form chat beats a hidden LID form; the highest ack wins.
    chatJid: a.chatJid.endsWith('@lid') ? b.chatJid : a.chatJid,
    ack: ack(b) > ack(a) ? b.ack : a.ack,
    source: a.source ?? b.source,
    device,
  } as EngineMessage & { device: DeviceCtx };
}

/** Deliveries whose engine id was already processed are dropped whole (WAHA retries, duplicates). */
async function dropSeenDeliveries(trx: Knex, items: IngestItem[]): Promise<IngestItem[]> {
  const withId = items.filter((i) => i.eventId);
  if (!withId.length) return items;
  const unique = new Map(withId.map((i) => [`${i.device.id}|${i.eventId}`, { device_id: i.device.id, engine_event_id: i.eventId }]));
  const { rows } = await trx.raw(
    `INSERT INTO webhook_receipts (device_id, engine_event_id)
     SELECT device_id, engine_event_id FROM jsonb_to_recordset(?::jsonb) AS x(device_id uuid, engine_event_id text)
     ORDER BY device_id, engine_event_id
     ON CONFLICT DO NOTHING RETURNING device_id, engine_event_id`,
    [JSON.stringify([...unique.values()])],
  );
  const fresh = new Set(rows.map((r: { device_id: string; engine_event_id: string }) => `${r.device_id}|${r.engine_event_id}`));
  const taken = new Set<string>();
  return items.filter((i) => {
    if (!i.eventId) return true;
    const key = `${i.device.id}|${i.eventId}`;
    if (!fresh.has(key) || taken.has(key)) return false;
    taken.add(key);
    return true;
  });
}

// ---------- statements ----------

async function upsertLids(trx: Knex, lids: Bag['lids']) {
  if (!lids.size) return;
  await trx.raw(
    `INSERT INTO lid_map (device_id, lid, phone_jid)
     SELECT device_id, lid, phone_jid FROM jsonb_to_recordset(?::jsonb) AS x(device_id uuid, lid text, phone_jid text)
     ORDER BY device_id, lid
     ON CONFLICT (device_id, lid) DO UPDATE SET phone_jid = EXCLUDED.phone_jid, updated_at = now()
     WHERE lid_map.phone_jid <> EXCLUDED.phone_jid`,
    [JSON.stringify([...lids.values()].map(({ device, m }) => ({ device_id: device.id, lid: m.lid, phone_jid: m.phoneJid })))],
  );
}

/** Resolves LID chats through the map, creates missing chats, and returns (device|jid) → chat id. */
async function ensureChats(trx: Knex, msgs: (EngineMessage & { device: DeviceCtx })[]) {
  const lidKeys = msgs.filter((m) => m.chatJid.endsWith('@lid')).map((m) => ({ device_id: m.device.id, lid: m.chatJid }));
  if (lidKeys.length) {
    const { rows } = await trx.raw(
      `SELECT l.device_id, l.lid, l.phone_jid FROM lid_map l JOIN jsonb_to_recordset(?::jsonb) AS x(device_id uuid, lid text)
       ON l.device_id = x.device_id AND l.lid = x.lid`,
      [JSON.stringify(lidKeys)],
    );
    const map = new Map<string, string>(rows.map((r: { device_id: string; lid: string; phone_jid: string }) => [`${r.device_id}|${r.lid}`, r.phone_jid]));
    for (const m of msgs) {
      const pn = map.get(`${m.device.id}|${m.chatJid}`);
      if (pn) {
        if (m.senderJid === m.chatJid) m.senderJid = pn;
        m.chatJid = pn;
      }
    }
  }
  const chats = new Map<string, { org_id: string; device_id: string; jid: string; name: string | null; is_group: boolean }>();
  for (const m of msgs) {
    const key = `${m.device.id}|${m.chatJid}`;
    const name = !m.isGroup && !m.fromMe ? (m.pushName ?? null) : null;
    const prev = chats.get(key);
    chats.set(key, { org_id: m.device.orgId, device_id: m.device.id, jid: m.chatJid, name: prev?.name ?? name, is_group: m.isGroup });
  }
  // One round trip: rows this statement inserted or renamed come from `ins`; the others already existed.
  const { rows } = await trx.raw(
    `WITH x AS (SELECT * FROM jsonb_to_recordset(?::jsonb) AS x(org_id uuid, device_id uuid, jid text, name text, is_group boolean)),
     ins AS (
       INSERT INTO chats (org_id, device_id, jid, name, is_group)
       SELECT org_id, device_id, jid, name, is_group FROM x
       ORDER BY device_id, jid -- one lock order for every writer, so concurrent batches cannot deadlock
       ON CONFLICT (device_id, jid) DO UPDATE SET name = EXCLUDED.name, updated_at = now()
       WHERE chats.name IS NULL AND EXCLUDED.name IS NOT NULL
       RETURNING id, device_id, jid)
     SELECT id, device_id, jid FROM ins
     UNION ALL
     SELECT c.id, c.device_id, c.jid FROM chats c JOIN x ON c.device_id = x.device_id AND c.jid = x.jid
     WHERE NOT EXISTS (SELECT 1 FROM ins WHERE ins.device_id = c.device_id AND ins.jid = c.jid)`,
    [JSON.stringify([...chats.values()])],
  );
  const ids = new Map<string, number>(rows.map((r: { id: number; device_id: string; jid: string }) => [`${r.device_id}|${r.jid}`, Number(r.id)]));
  // A chat another batch committed while this statement waited on it is invisible to the statement's
  // snapshot; a second statement (a fresh snapshot) finds it.
  const missing = [...chats.entries()].filter(([k]) => !ids.has(k)).map(([, c]) => c);
  if (missing.length) {
    const { rows: late } = await trx.raw(
      `SELECT c.id, c.device_id, c.jid FROM chats c JOIN jsonb_to_recordset(?::jsonb) AS x(device_id uuid, jid text) ON c.device_id = x.device_id AND c.jid = x.jid`,
      [JSON.stringify(missing)],
    );
    for (const r of late as { id: number; device_id: string; jid: string }[]) ids.set(`${r.device_id}|${r.jid}`, Number(r.id));
  }
  return ids;
}

/**
 * WAHA echoes what we send (message.any, source api). When the echo's id is not on any row yet, it
 * is our outbox row still waiting for its id (the echo can beat the send's answer, or the answer may
 * lack the id): the oldest recent row of that chat without an engine id, same text, same media-ness,
 * takes the echo's id, so the insert below lands on it (ON CONFLICT) instead of making a second row.
 * Row locks make this safe against the outbox worker writing the id at the same moment.
 */
async function joinEchoes(trx: Knex, msgs: (EngineMessage & { device: DeviceCtx })[], chats: Map<string, number>) {
  for (const m of msgs) {
    if (!m.fromMe || m.source !== 'api') continue;
    const chatId = chats.get(`${m.device.id}|${m.chatJid}`);
    if (!chatId) continue;
    await trx.raw(
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

type StoredMessage = MessageRow & { org_id: string; inserted: boolean };

async function upsertMessages(trx: Knex, msgs: (EngineMessage & { device: DeviceCtx })[], chats: Map<string, number>, history: boolean) {
  const rows = msgs.map((m) => ({
    org_id: m.device.orgId,
    device_id: m.device.id,
    chat_id: chats.get(`${m.device.id}|${m.chatJid}`),
    engine_message_id: m.id,
    engine_full_id: m.engineFullId ?? null,
    direction: m.fromMe ? 'out' : 'in',
    sender_jid: m.senderJid,
    sender_name: m.fromMe ? null : (m.pushName ?? null),
    type: m.type,
    body: m.body,
    media: m.media
      ? { mimetype: m.media.mimetype ?? null, filename: m.media.filename ?? null, size: m.media.size ?? null, engineUrl: m.media.url ?? null, hasInline: !!m.media.base64, mediaId: m.media.mediaId ?? null }
      : null,
    reply_to_engine_id: m.replyToId ?? null,
    // Our own messages seen in an engine echo are at least sent; incoming ones carry no delivery state.
    ack: m.fromMe ? Math.max(m.ack ? ACK[m.ack] : ACK.sent, ACK.sent) : 0,
    source: history ? 'history' : (m.source ?? 'app'),
    sent_at: m.timestamp.toISOString(),
  }));
  // Updates (acks, edits, revokes) that arrived before their message are taken from the pending
  // table in the same statement, so a new row is born with them.
  const { rows: out } = await trx.raw(
    `WITH x AS (SELECT * FROM jsonb_to_recordset(?::jsonb) AS x(org_id uuid, device_id uuid, chat_id bigint, engine_message_id text, engine_full_id text,
       direction text, sender_jid text, sender_name text, type text, body text, media jsonb, reply_to_engine_id text, ack smallint, source text, sent_at timestamptz)),
     p AS (DELETE FROM message_updates_pending p USING x WHERE p.device_id = x.device_id AND p.engine_message_id = x.engine_message_id RETURNING p.*)
     INSERT INTO messages (org_id, device_id, chat_id, engine_message_id, engine_full_id, direction, sender_jid, sender_name, type, body, media,
       reply_to_engine_id, ack, source, sent_at, edited_at, revoked_at)
     SELECT x.org_id, x.device_id, x.chat_id, x.engine_message_id, x.engine_full_id, x.direction, x.sender_jid, x.sender_name, x.type,
       CASE WHEN p.revoked_at IS NOT NULL THEN NULL ELSE COALESCE(p.edited_body, x.body) END, x.media,
       x.reply_to_engine_id, GREATEST(x.ack, COALESCE(p.ack, x.ack)), x.source, x.sent_at, p.edited_at, p.revoked_at
     FROM x LEFT JOIN p ON p.device_id = x.device_id AND p.engine_message_id = x.engine_message_id
     ORDER BY x.device_id, x.engine_message_id
     ON CONFLICT (device_id, engine_message_id) DO UPDATE SET
       ack = GREATEST(messages.ack, EXCLUDED.ack),
       engine_full_id = COALESCE(messages.engine_full_id, EXCLUDED.engine_full_id),
       updated_at = now()
     WHERE EXCLUDED.ack > messages.ack OR (messages.engine_full_id IS NULL AND EXCLUDED.engine_full_id IS NOT NULL)
     RETURNING messages.*, (xmax = 0) AS inserted`,
    [JSON.stringify(rows)],
  );
  const stored = out as StoredMessage[];
  return { inserted: stored.filter((r) => r.inserted), updated: stored.filter((r) => !r.inserted) };
}

/** Last message, preview and unread count of the chats that got new messages. */
async function bumpChats(trx: Knex, inserted: StoredMessage[]): Promise<ChatRow[]> {
  if (!inserted.length) return [];
  const per = new Map<number, { chat_id: number; unread: number; reset: boolean; mid: number; at: string; preview: string }>();
  const sorted = [...inserted].sort((a, b) => new Date(a.sent_at).getTime() - new Date(b.sent_at).getTime() || Number(a.id) - Number(b.id));
  for (const m of sorted) {
    const c = per.get(Number(m.chat_id)) ?? { chat_id: Number(m.chat_id), unread: 0, reset: false, mid: 0, at: '', preview: '' };
    // Writing from the phone reads the chat there: unread restarts after our own message.
    if (m.direction === 'out') Object.assign(c, { unread: 0, reset: true });
    else c.unread++;
    Object.assign(c, { mid: Number(m.id), at: new Date(m.sent_at).toISOString(), preview: preview(m) });
    per.set(c.chat_id, c);
  }
  // Rows are locked in id order first: concurrent batches touching the same chats then wait for
  // each other instead of deadlocking.
  const { rows } = await trx.raw(
    `WITH v AS (SELECT * FROM jsonb_to_recordset(?::jsonb) AS v(chat_id bigint, unread int, reset boolean, mid bigint, at timestamptz, preview text)),
     locked AS (SELECT c.id FROM chats c WHERE c.id IN (SELECT chat_id FROM v) ORDER BY c.id FOR UPDATE)
     UPDATE chats c SET
       unread_count = CASE WHEN v.reset THEN v.unread ELSE c.unread_count + v.unread END,
       last_message_id = CASE WHEN c.last_message_at IS NULL OR v.at >= c.last_message_at THEN v.mid ELSE c.last_message_id END,
       last_message_preview = CASE WHEN c.last_message_at IS NULL OR v.at >= c.last_message_at THEN v.preview ELSE c.last_message_preview END,
       last_message_at = GREATEST(c.last_message_at, v.at),
       updated_at = now()
     FROM v JOIN locked l ON l.id = v.chat_id
     WHERE c.id = v.chat_id RETURNING c.*`,
    [JSON.stringify([...per.values()])],
  );
  return rows as ChatRow[];
}

const preview = (m: { body: string | null; type: string }) => (m.body ? m.body.slice(0, 140) : `[${m.type}]`);

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
  const { rows } = await trx.raw(
    `UPDATE messages m SET
       ack = GREATEST(m.ack, COALESCE(v.ack, m.ack)),
       body = CASE WHEN v.revoked_at IS NOT NULL OR m.revoked_at IS NOT NULL THEN NULL
                   WHEN v.edited_at IS NOT NULL AND (m.edited_at IS NULL OR v.edited_at >= m.edited_at) THEN v.edited_body ELSE m.body END,
       edited_at = CASE WHEN v.edited_at IS NOT NULL AND (m.edited_at IS NULL OR v.edited_at >= m.edited_at) THEN v.edited_at ELSE m.edited_at END,
       revoked_at = COALESCE(m.revoked_at, v.revoked_at),
       updated_at = now()
     FROM jsonb_to_recordset(?::jsonb) AS v(${cols})
     WHERE m.device_id = v.device_id AND m.engine_message_id = v.engine_message_id
       AND (COALESCE(v.ack, -9) > m.ack
            OR (v.edited_at IS NOT NULL AND (m.edited_at IS NULL OR v.edited_at > m.edited_at))
            OR (v.revoked_at IS NOT NULL AND m.revoked_at IS NULL))
     RETURNING m.*`,
    [json],
  );
  await trx.raw(
    `INSERT INTO message_updates_pending (device_id, engine_message_id, ack, edited_body, edited_at, revoked_at)
     SELECT v.device_id, v.engine_message_id, v.ack, v.edited_body, v.edited_at, v.revoked_at FROM jsonb_to_recordset(?::jsonb) AS v(${cols})
     WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.device_id = v.device_id AND m.engine_message_id = v.engine_message_id)
     ON CONFLICT (device_id, engine_message_id) DO UPDATE SET
       ack = GREATEST(message_updates_pending.ack, EXCLUDED.ack),
       edited_body = CASE WHEN EXCLUDED.edited_at >= COALESCE(message_updates_pending.edited_at, EXCLUDED.edited_at) THEN EXCLUDED.edited_body ELSE message_updates_pending.edited_body END,
       edited_at = GREATEST(message_updates_pending.edited_at, EXCLUDED.edited_at),
       revoked_at = COALESCE(message_updates_pending.revoked_at, EXCLUDED.revoked_at)`,
    [json],
  );
  return rows as StoredMessage[];
}

async function upsertReactions(trx: Knex, bag: Bag) {
  if (!bag.reactions.size) return;
  await trx.raw(
    `INSERT INTO message_reactions (device_id, engine_message_id, sender_jid, emoji, reacted_at)
     SELECT device_id, engine_message_id, sender_jid, emoji, reacted_at FROM jsonb_to_recordset(?::jsonb)
       AS x(device_id uuid, engine_message_id text, sender_jid text, emoji text, reacted_at timestamptz)
     ORDER BY device_id, engine_message_id, sender_jid
     ON CONFLICT (device_id, engine_message_id, sender_jid) DO UPDATE SET emoji = EXCLUDED.emoji, reacted_at = EXCLUDED.reacted_at
     WHERE EXCLUDED.reacted_at >= message_reactions.reacted_at`,
    [JSON.stringify([...bag.reactions.values()].map((r) => ({ device_id: r.device.id, engine_message_id: r.id, sender_jid: r.sender, emoji: r.emoji, reacted_at: r.at.toISOString() })))],
  );
}

async function upsertContacts(trx: Knex, all: Bag['contacts'], known?: IngestOptions['knownContacts']): Promise<[string, string][]> {
  const contacts = new Map<string, { device: DeviceCtx; c: EngineContact }>();
  const written: [string, string][] = [];
  for (const [key, v] of all) {
    const names = `${v.c.pushName ?? ''}|${v.c.fullName ?? ''}|${v.c.businessName ?? ''}`;
    if (known?.get(key) === names) continue; // already stored with these names
    contacts.set(key, v);
    written.push([key, names]);
  }
  if (!contacts.size) return written;
  await trx.raw(
    `INSERT INTO wa_contacts (org_id, device_id, jid, push_name, full_name, business_name)
     SELECT org_id, device_id, jid, push_name, full_name, business_name FROM jsonb_to_recordset(?::jsonb)
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
        [...contacts.values()].map(({ device, c }) => ({
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
  return written;
}

async function applyDeviceState(trx: Knex, device: DeviceCtx, state: SessionState) {
  const { rows } = await trx.raw(
    `UPDATE devices d SET
       status = ?, status_at = CASE WHEN d.status <> ? THEN now() ELSE d.status_at END,
       connected_at = CASE WHEN ? = 'connected' AND d.status <> 'connected' THEN now() ELSE d.connected_at END,
       jid = COALESCE(?, d.jid), phone = COALESCE(?, d.phone), push_name = COALESCE(?, d.push_name), updated_at = now()
     FROM (SELECT id, status AS old_status FROM devices WHERE id = ? FOR UPDATE) o
     WHERE d.id = o.id AND d.deleted_at IS NULL
       -- After a logout the engine restarts the session and offers a QR; to us the device stays
       -- logged out until someone asks for that QR again.
       AND NOT (o.old_status = 'logged_out' AND ? IN ('starting', 'qr'))
     RETURNING o.old_status, d.status`,
    [state.status, state.status, state.status, state.jid ?? null, phoneOfJid(state.jid), state.pushName ?? null, device.id, state.status],
  );
  const r = rows[0] as { old_status: string; status: string } | undefined;
  if (!r || r.old_status === r.status) return null;
  return { deviceId: device.id, from: r.old_status, to: r.status };
}

function messageEvent(type: 'message.created' | 'message.updated', device: DeviceCtx, m: StoredMessage): NewEvent {
  return { orgId: device.orgId, deviceId: device.id, chatId: Number(m.chat_id), type, data: presentMessage(m) };
}

export type { AckName };
