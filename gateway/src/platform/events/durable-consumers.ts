import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { PollingWorker } from '../polling-worker.js';
import type { DomainEvent, DurableEventName } from './domain-events.js';
import type { DurableConsumer, EventBus } from './event-bus.js';
import type { EventType } from '../../features/realtime/realtime.schemas.js';

/** A row of the `events` log as consumers read it. */
export interface LoggedEvent {
  id: string;
  tx: string;
  org_id: string;
  device_id: string | null;
  chat_id: string | null;
  type: EventType;
  data: Record<string, unknown>;
}

/** Which log rows can carry each durable event (the SQL filter; `domainEventsOf` decides). */
const LOG_TYPES: Record<DurableEventName, EventType> = {
  'message.received': 'message.created',
  'message.status_changed': 'message.updated',
  'chat.updated': 'chat.updated',
  'device.connected': 'device.status',
  'device.status_changed': 'device.status',
  'contact.updated': 'contact.updated',
};

/** The domain events one log row records (the log keeps the browsers' wire shapes). */
export function domainEventsOf(r: LoggedEvent): DomainEvent<DurableEventName>[] {
  const d = r.data;
  const base = { orgId: r.org_id, deviceId: r.device_id ?? '' };
  switch (r.type) {
    case 'message.created':
      // Our own pending sends carry their clientId; everything else came from WhatsApp.
      if (d.clientId != null) return [];
      return [{
        type: 'message.received',
        data: {
          ...base,
          chatId: Number(r.chat_id),
          messageId: Number(d.id),
          direction: d.direction as 'in' | 'out',
          remoteMedia: !!d.media && !(d.media as { mediaId?: string | null }).mediaId,
        },
      }];
    case 'message.updated':
      return [{ type: 'message.status_changed', data: { ...base, chatId: Number(r.chat_id), messageId: Number(d.id) } }];
    case 'chat.updated':
      return [{ type: 'chat.updated', data: { ...base, chatId: Number(r.chat_id ?? d.id) } }];
    case 'device.status': {
      const status = String(d.status);
      const previous = String(d.previous);
      if (d.previous === undefined || status === previous) return []; // only the number, name or reachability changed
      const out: DomainEvent<DurableEventName>[] = [{ type: 'device.status_changed', data: { ...base, status, previous } }];
      if (status === 'connected') out.push({ type: 'device.connected', data: base });
      return out;
    }
    case 'contact.updated':
      // A bulk change (imports) names many contacts in one row: one event per contact.
      if (Array.isArray(d.ids)) return (d.ids as string[]).map((id) => ({ type: 'contact.updated', data: { orgId: r.org_id, contactId: String(id), deleted: false } }));
      return [{ type: 'contact.updated', data: { orgId: r.org_id, contactId: String(d.id), deleted: !!d.deleted } }];
    default:
      return [];
  }
}

const BATCH = 200;
/** After this many failures on one event, it is logged and passed over: one bad event must not stop a consumer for good. */
const MAX_FAILURES = 8;

/**
 * Runs the durable consumers (EventBus.consume): each reads the event log after its stored cursor,
 * in (writing transaction, id) order and only below the oldest transaction still running, so an
 * event that commits late is never passed over; its work and its cursor commit together. One replica
 * at a time per consumer (the cursor row is locked). Woken at once by this process's own events,
 * and polls for other replicas'.
 */
export class DurableConsumers extends PollingWorker {
  private kicksRegistered = false;
  private readonly known = new Set<string>();

  constructor(
    private readonly db: Knex,
    private readonly bus: EventBus,
    opts: { pollMs: number },
    logger: Logger,
  ) {
    super(opts.pollMs, logger, 'durable event consumers');
  }

  override start() {
    if (!this.kicksRegistered) {
      this.kicksRegistered = true;
      const types = new Set(this.bus.durable.flatMap((c) => [...c.types]));
      for (const t of types) this.bus.on(t, 'events.durable-kick', () => this.kick());
    }
    super.start();
  }

  protected async drain() {
    for (const c of this.bus.durable) {
      if (this.stopped) return;
      try {
        while (!this.stopped && (await this.step(c)) === BATCH);
      } catch (err) {
        this.logger.warn({ err, consumer: c.name }, 'durable consumer could not read the event log');
      }
    }
  }

  /** One batch of one consumer, in one transaction. Returns how many log rows it read. */
  private step(c: DurableConsumer): Promise<number> {
    return this.db.transaction(async (trx) => {
      // Every transaction below `horizon` has ended: rows under it can no longer appear.
      const { rows: h } = await trx.raw(`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS x`);
      const horizon = h[0].x as string;
      if (!this.known.has(c.name)) {
        // A new consumer starts with the transactions still to come.
        await trx.raw(`INSERT INTO event_consumers (name, tx) VALUES (?, ?::xid8) ON CONFLICT (name) DO NOTHING`, [c.name, horizon]);
        this.known.add(c.name);
      }
      const { rows: cur } = await trx.raw(
        `SELECT tx::text AS tx, last_id::text AS last_id, failures, COALESCE(retry_at > now(), false) AS waiting
         FROM event_consumers WHERE name = ? FOR UPDATE SKIP LOCKED`,
        [c.name],
      );
      const at = cur[0] as { tx: string; last_id: string; failures: number; waiting: boolean } | undefined;
      if (!at || at.waiting) return 0; // another replica has it, or it waits to retry
      const types = [...new Set([...c.types].map((t) => LOG_TYPES[t]))];
      const { rows } = await trx.raw(
        `SELECT id::text AS id, tx::text AS tx, org_id, device_id, chat_id::text AS chat_id, type, data FROM events
         WHERE (tx, id) > (?::xid8, ?::bigint) AND tx < ?::xid8 AND type = ANY(?)
         ORDER BY tx, id LIMIT ?`,
        [at.tx, at.last_id, horizon, types, BATCH],
      );
      let pos = { tx: at.tx, id: at.last_id };
      let failures = at.failures;
      for (const r of rows as LoggedEvent[]) {
        const events = domainEventsOf(r).filter((e) => c.types.has(e.type));
        if (events.length) {
          try {
            // A savepoint: a throw undoes this event's work only.
            await trx.transaction(async (sp) => {
              for (const e of events) await c.handle(e, sp);
            });
            failures = 0;
          } catch (err) {
            this.bus.failed(events[0]!.type, c.name, err, 'durable');
            if (failures + 1 < MAX_FAILURES) {
              await this.save(trx, c.name, pos, failures + 1, err);
              return 0;
            }
            this.logger.error({ consumer: c.name, eventId: r.id, failures: failures + 1 }, 'durable consumer gave up on an event; passing over it');
            failures = 0;
          }
        }
        pos = { tx: r.tx, id: r.id };
      }
      // Fewer than a batch: everything below the horizon is read.
      if (rows.length < BATCH && BigInt(horizon) > BigInt(pos.tx)) pos = { tx: horizon, id: '0' };
      if (pos.tx !== at.tx || pos.id !== at.last_id || at.failures) await this.save(trx, c.name, pos, 0, null);
      return rows.length;
    });
  }

  private async save(trx: Knex, name: string, pos: { tx: string; id: string }, failures: number, err: unknown) {
    const delayMs = failures ? Math.min(1_000 * 2 ** (failures - 1), 5 * 60_000) : 0;
    await trx.raw(
      `UPDATE event_consumers SET tx = ?::xid8, last_id = ?::bigint, failures = ?,
         retry_at = CASE WHEN ? > 0 THEN now() + (? * interval '1 millisecond') END, last_error = ?, updated_at = now()
       WHERE name = ?`,
      [pos.tx, pos.id, failures, delayMs, delayMs, err ? String((err as Error).message ?? err).slice(0, 500) : null, name],
    );
  }
}
