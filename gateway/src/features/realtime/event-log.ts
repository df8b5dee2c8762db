import type { Knex } from 'knex';

export const EVENTS_CHANNEL = 'gateway_events';

export type EventType =
  | 'message.created'
  | 'message.updated'
  | 'chat.updated'
  | 'device.status'
  | 'sync.progress'
  | 'contact.updated'
  | 'share.created'
  | 'share.revoked';

export interface NewEvent {
  orgId: string;
  deviceId?: string | null;
  chatId?: number | null;
  type: EventType;
  data: unknown;
}

/**
 * Appends events to the log browsers resume from, in the caller's transaction, and sends one NOTIFY
 * carrying the highest id: a NOTIFY per event would serialize commits (see DESIGN.md, Real time).
 */
export async function appendEvents(trx: Knex, events: NewEvent[]): Promise<number | null> {
  if (!events.length) return null;
  const rows = await trx('events')
    .insert(
      events.map((e) => ({
        org_id: e.orgId,
        device_id: e.deviceId ?? null,
        chat_id: e.chatId ?? null,
        type: e.type,
        data: JSON.stringify(e.data),
      })),
    )
    .returning('id');
  const maxId = Math.max(...rows.map((r: { id: number }) => Number(r.id)));
  await trx.raw('SELECT pg_notify(?, ?)', [EVENTS_CHANNEL, String(maxId)]);
  return maxId;
}
