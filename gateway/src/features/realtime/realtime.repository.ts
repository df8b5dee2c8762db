import type { Knex } from 'knex';
import { prepared } from '../../platform/db/prepared.js';
import type { AuthUser } from '../../platform/http/auth-context.js';
import type { EventType } from './event-log.js';
import { eventTypesOfScope } from './realtime.schemas.js';
import { visibleDeviceIds } from '../access/access.policy.js';

/** One row of the event log; `data` stays JSON text so a frame is built without parsing it. */
export interface EventRow {
  id: number;
  org_id: string;
  device_id: string | null;
  chat_id: number | null;
  type: EventType;
  data: string;
}

/** Events not bound to a device the user sees: org-wide ones, and shares (whose grantee may see no device). */
const ORG_WIDE_TYPES = [...eventTypesOfScope('org'), ...eventTypesOfScope('share')];

// A bulk contact.updated row lists its contacts' ids for durable consumers; browsers only refetch, so they get it without them.
const cols = (db: Knex) => ['id', 'org_id', 'device_id', 'chat_id', 'type', db.raw(`(CASE WHEN type = 'contact.updated' THEN data - 'ids' ELSE data END)::text AS data`)];

/** The next rows after `afterId`, in id order (the fan-out reads every replica's events from here). */
export function eventsAfter(db: Knex, afterId: number, limit: number): Promise<EventRow[]> {
  return db('events').where('id', '>', afterId).orderBy('id').limit(limit).select(cols(db));
}

/** Only the ids of the next rows: what the fan-out needs to move on while no socket is connected. */
export async function eventIdsAfter(db: Knex, afterId: number, limit: number): Promise<{ id: number }[]> {
  const { rows } = await prepared(db, 'event_ids_after', 'SELECT id FROM events WHERE id > ? ORDER BY id LIMIT ?', [afterId, limit]);
  return rows;
}

/**
 * Rows in (afterId, upTo] that may concern `user`: of their org and of a device they see, a chat
 * shared with them, or an org-wide/share type. A coarse cut in SQL; the audience decides exactly.
 */
export function eventsForReplay(db: Knex, user: Pick<AuthUser, 'id' | 'orgId'>, afterId: number, upTo: number, limit: number): Promise<EventRow[]> {
  return db('events')
    .where('id', '>', afterId)
    .andWhere('id', '<=', upTo)
    .andWhere('org_id', user.orgId)
    .andWhere((w) =>
      w
        .whereIn('device_id', visibleDeviceIds(db, user))
        .orWhereIn('chat_id', db('chat_shares').select('chat_id').where('grantee_id', user.id))
        .orWhereIn('type', ORG_WIDE_TYPES),
    )
    .orderBy('id')
    .limit(limit)
    .select(cols(db));
}

export async function idBounds(db: Knex): Promise<{ min: number | null; max: number | null }> {
  const r = await db('events').first(db.raw('min(id) AS min'), db.raw('max(id) AS max'));
  return { min: r?.min ?? null, max: r?.max ?? null };
}

/** Deletes events older than the retention, a slice at a time so no statement holds many locks. */
export async function pruneEvents(db: Knex, retentionHours: number, slice = 10_000): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await db('events')
      .whereIn('id', db('events').select('id').where('created_at', '<', db.raw(`now() - (? * interval '1 hour')`, [retentionHours])).orderBy('id').limit(slice))
      .del();
    total += n;
    if (n < slice) return total;
  }
}
