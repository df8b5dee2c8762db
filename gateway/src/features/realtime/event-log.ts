import type { Knex } from 'knex';
import { prepared } from '../../platform/db/prepared.js';
import type { EventData, EventType } from './realtime.schemas.js';

export const EVENTS_CHANNEL = 'gateway_events';

export type { EventType };

/** An event to append; `data` is typed by `type` from the one list (REALTIME_EVENTS, realtime.schemas.ts). */
export type NewEvent = {
  [T in EventType]: { orgId: string; deviceId?: string | null; chatId?: number | null; type: T; data: EventData<T> };
}[EventType];

/**
 * Appends events to the log browsers resume from, in the caller's transaction, and sends one NOTIFY
 * carrying the highest id: a NOTIFY per event would serialize commits (see DESIGN.md, Real time).
 */
export async function appendEvents(trx: Knex, events: NewEvent[]): Promise<number | null> {
  if (!events.length) return null;
  const rows = events.map((e) => ({ org_id: e.orgId, device_id: e.deviceId ?? null, chat_id: e.chatId ?? null, type: e.type, data: e.data }));
  const { rows: out } = await prepared(
    trx,
    'append_events',
    `WITH ins AS (
       INSERT INTO events (org_id, device_id, chat_id, type, data)
       SELECT org_id, device_id, chat_id, type, data FROM json_to_recordset(?::json) AS x(org_id uuid, device_id uuid, chat_id bigint, type text, data jsonb)
       RETURNING id)
     SELECT max(id) AS max_id, pg_notify(?, max(id)::text) FROM ins`,
    [JSON.stringify(rows), EVENTS_CHANNEL],
  );
  return out[0]?.max_id === null ? null : Number(out[0].max_id);
}
