import type { Knex } from 'knex';

export interface SyncCursor {
  contactsDone?: boolean;
  /** Chats are imported in jid order; everything up to this jid is done. */
  afterJid?: string | null;
  /** The chat in progress and how many of its messages (newest first) are done. */
  chatJid?: string | null;
  msgOffset?: number;
  /** Set once the engine's API is read and the import waits for the history the engine pushes (WuzAPI). */
  phase?: 'engine_history';
  /** When that wait began (ISO). */
  awaitSince?: string;
}

export interface SyncJobRow {
  id: number;
  org_id: string;
  device_id: string;
  status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  trigger: string;
  total_chats: number | null;
  done_chats: number;
  total_messages: number | null;
  done_messages: number;
  imported_messages: number;
  cursor: SyncCursor | null;
  error: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  heartbeat_at: Date | null;
  created_at: Date;
  /** The last history push the engine made while this import was open. */
  last_received_at: Date | null;
  /** The engine said its history sync is complete. */
  engine_complete: boolean;
}

/** Queues an import unless one is queued or running (then returns that one, `created` false). */
export async function enqueue(db: Knex, orgId: string, deviceId: string, trigger: string): Promise<SyncJobRow & { created: boolean }> {
  const [row] = await db.raw(
    `INSERT INTO sync_jobs (org_id, device_id, trigger) VALUES (?, ?, ?)
     ON CONFLICT (device_id) WHERE status IN ('queued','running') DO NOTHING RETURNING *`,
    [orgId, deviceId, trigger],
  ).then((r: { rows: SyncJobRow[] }) => r.rows);
  if (row) return { ...row, created: true };
  return { ...(await db<SyncJobRow>('sync_jobs').where({ device_id: deviceId }).whereIn('status', ['queued', 'running']).first())!, created: false };
}

/** Only the first connection of a device imports on its own; later ones wait for a manual sync. */
export async function enqueueFirst(db: Knex, orgId: string, deviceId: string): Promise<SyncJobRow | null> {
  const { rows } = await db.raw(
    `INSERT INTO sync_jobs (org_id, device_id, trigger)
     SELECT ?, ?, 'connected' WHERE NOT EXISTS (SELECT 1 FROM sync_jobs WHERE device_id = ?)
     ON CONFLICT (device_id) WHERE status IN ('queued','running') DO NOTHING RETURNING *`,
    [orgId, deviceId, deviceId],
  );
  return rows[0] ?? null;
}

/** Takes import `id` if it is queued, or running without a live worker (no progress for `staleMs`). */
export async function claimById(db: Knex, id: number, staleMs: number): Promise<SyncJobRow | null> {
  const { rows } = await db.raw(
    `UPDATE sync_jobs j SET status = 'running', started_at = COALESCE(j.started_at, now()), heartbeat_at = now()
     FROM devices d
     WHERE j.id = ? AND d.id = j.device_id AND d.deleted_at IS NULL
       AND (j.status = 'queued' OR (j.status = 'running' AND j.heartbeat_at < now() - (? * interval '1 millisecond')))
     RETURNING j.*`,
    [id, staleMs],
  );
  return rows[0] ?? null;
}

export async function saveProgress(db: Knex, id: number, patch: Partial<SyncJobRow>): Promise<SyncJobRow | undefined> {
  const row = { ...patch, heartbeat_at: new Date() } as Record<string, unknown>;
  if (patch.cursor) row.cursor = JSON.stringify(patch.cursor);
  const [r] = await db('sync_jobs').where({ id }).whereIn('status', ['running']).update(row).returning('*');
  return r;
}

export const latestFor = (db: Knex, deviceId: string) => db<SyncJobRow>('sync_jobs').where({ device_id: deviceId }).orderBy('id', 'desc').first();

export const release = (db: Knex, id: number) => db('sync_jobs').where({ id, status: 'running' }).update({ status: 'queued' });

/** Adds to the received/imported counts in SQL (history pushes count into the same row meanwhile). */
export async function addProgress(db: Knex, id: number, add: { messages: number; imported: number }, cursor?: SyncCursor): Promise<SyncJobRow | undefined> {
  const { rows } = await db.raw(
    `UPDATE sync_jobs SET done_messages = done_messages + ?, imported_messages = imported_messages + ?,
       cursor = COALESCE(?::jsonb, cursor), heartbeat_at = now()
     WHERE id = ? AND status = 'running' RETURNING *`,
    [add.messages, add.imported, cursor ? JSON.stringify(cursor) : null, id],
  );
  return rows[0];
}

/** Chats the import has received something for, each counted once: done_chats (and total_chats at least as many). */
export async function recordChats(db: Knex, id: number, jids: string[]): Promise<SyncJobRow | undefined> {
  if (jids.length) await db.raw(`INSERT INTO sync_job_chats (job_id, jid) SELECT ?, unnest(?::text[]) ON CONFLICT DO NOTHING`, [id, jids]);
  const { rows } = await db.raw(
    `UPDATE sync_jobs j SET done_chats = c.n, total_chats = GREATEST(COALESCE(j.total_chats, 0), c.n), heartbeat_at = CASE WHEN j.status = 'running' THEN now() ELSE j.heartbeat_at END
     FROM (SELECT count(*)::int AS n FROM sync_job_chats WHERE job_id = ?) c
     WHERE j.id = ? AND j.status IN ('queued','running') RETURNING j.*`,
    [id, id],
  );
  return rows[0];
}

/**
 * A device's history lock (a transaction-scoped advisory lock): each history push holds it shared while
 * it stores and counts its messages; ending the import takes it exclusive, so it waits for pushes in flight.
 */
export function lockHistory(trx: Knex.Transaction, deviceId: string, mode: 'shared' | 'exclusive') {
  return trx.raw(`SELECT ${mode === 'shared' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock'}(?, hashtext(?))`, [HISTORY_LOCK, deviceId]);
}
/** The advisory lock class of history locks (the two-key form keeps them apart from other advisory locks). */
const HISTORY_LOCK = 0x5c_01;

/** The device's open import (queued or running), if any. */
export const openFor = (db: Knex, deviceId: string) => db<SyncJobRow>('sync_jobs').where({ device_id: deviceId }).whereIn('status', ['queued', 'running']).first();

/**
 * A history push the engine made: counted on the device's open import (null: none open), in the
 * transaction that stored its messages. Its time is the end of its storing: the quiet period runs from there.
 */
export async function historyPushed(db: Knex, deviceId: string, p: { jids: string[]; imported: number; complete: boolean }): Promise<SyncJobRow | null> {
  const job = await openFor(db, deviceId);
  if (!job) return null;
  await recordChats(db, job.id, p.jids);
  const { rows } = await db.raw(
    `UPDATE sync_jobs SET done_messages = done_messages + ?, imported_messages = imported_messages + ?, last_received_at = clock_timestamp(), engine_complete = engine_complete OR ?
     WHERE id = ? AND status IN ('queued','running') RETURNING *`,
    [p.imported, p.imported, p.complete, job.id],
  );
  return rows[0] ?? null;
}

/**
 * Ends a running import that waits for the engine's pushes, if the engine said its sync is complete or
 * none came for `quietMs` (since the wait began or the last push was stored). Otherwise `until`: when
 * to look again. Call it holding the device's history lock exclusive (no push in flight).
 */
export async function finishIfQuiet(trx: Knex.Transaction, id: number, quietMs: number): Promise<{ done: SyncJobRow } | { until: Date } | null> {
  const { rows } = await trx.raw(
    `SELECT j.*, GREATEST(COALESCE((j.cursor->>'awaitSince')::timestamptz, '-infinity'), COALESCE(j.last_received_at, '-infinity'))
               + (? * interval '1 millisecond') AS quiet_at, clock_timestamp() AS now
     FROM sync_jobs j WHERE j.id = ? AND j.status = 'running' FOR UPDATE`,
    [quietMs, id],
  );
  const job = rows[0] as (SyncJobRow & { quiet_at: Date; now: Date }) | undefined;
  if (!job) return null; // no longer ours (cancelled, or taken over)
  if (!job.engine_complete && job.quiet_at > job.now) return { until: new Date(Date.now() + (job.quiet_at.getTime() - job.now.getTime())) };
  const done = await saveProgress(trx, id, { status: 'done', error: null, finished_at: new Date() });
  return done ? { done } : null;
}

/** Back to the queue until the engine's history is in (the queue runs it again at the end of the quiet period). */
export const park = (db: Knex, id: number) => db('sync_jobs').where({ id, status: 'running' }).update({ status: 'queued' });
