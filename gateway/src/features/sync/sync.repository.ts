import type { Knex } from 'knex';

export interface SyncCursor {
  contactsDone?: boolean;
  /** Chats are imported in jid order; everything up to this jid is done. */
  afterJid?: string | null;
  /** The chat in progress and how many of its messages (newest first) are done. */
  chatJid?: string | null;
  msgOffset?: number;
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
