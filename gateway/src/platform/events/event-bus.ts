import type { Knex } from 'knex';
import type { Logger } from 'pino';
import client from 'prom-client';
import type { DomainEvent, DomainEventName, DomainEvents, DurableEventName } from './domain-events.js';

export type Listener<K extends DomainEventName> = (data: DomainEvents[K]) => void | Promise<void>;

/**
 * A durable consumer's handler: runs inside the transaction that moves its cursor past the event, so
 * what it writes with `trx` (rows, or queued jobs: JobQueue.add(…, { trx })) happens exactly once.
 * A throw rolls its work back; the event is tried again later (back-off).
 */
export type DurableHandler<K extends DurableEventName> = (event: DomainEvent<K>, trx: Knex) => Promise<void>;

export interface DurableConsumer {
  name: string;
  types: ReadonlySet<DurableEventName>;
  handle: DurableHandler<DurableEventName>;
}

/**
 * In-process domain events. A feature publishes a fact once it is committed; listeners of this
 * process run right then, synchronously in registration order (an async one's promise is not awaited).
 * For effects whose loss in a crash does no harm (caches, live hints, kicks); work that must survive a
 * crash is a durable consumer (durable-consumers.ts). A listener that throws is logged and counted;
 * the publisher and the other listeners go on.
 */
export class EventBus {
  private readonly listeners = new Map<DomainEventName, { name: string; fn: Listener<never> }[]>();
  /** Failures by event and listener, also at /metrics as domain_event_listener_failures_total. */
  readonly failures = new client.Counter({
    name: 'domain_event_listener_failures_total',
    help: 'Domain event listeners that threw, by event, listener and kind (in-process or durable)',
    labelNames: ['event', 'listener', 'kind'] as const,
    registers: [],
  });

  constructor(private readonly logger: Logger) {}

  /** `listener` names it in logs and metrics (e.g. "webhooks.forget-device"). */
  on<K extends DomainEventName>(type: K, listener: string, fn: Listener<K>) {
    const list = this.listeners.get(type) ?? [];
    list.push({ name: listener, fn: fn as Listener<never> });
    this.listeners.set(type, list);
  }

  /**
   * A durable consumer: every replica's `types` events, each exactly once, from the event log by a
   * stored cursor (durable-consumers.ts runs it). `name` is its cursor's key: never rename one lightly.
   */
  consume<K extends DurableEventName>(name: string, types: K[], handle: DurableHandler<K>) {
    if (this.durable.some((c) => c.name === name)) throw new Error(`Durable consumer ${name} is registered twice`);
    this.durable.push({ name, types: new Set(types), handle: handle as DurableHandler<DurableEventName> });
  }

  /** The durable consumers registered so far. */
  readonly durable: DurableConsumer[] = [];

  /** Tells this process's listeners now: call it only once the fact is committed (or use `afterCommit`). */
  publish<K extends DomainEventName>(type: K, data: DomainEvents[K]) {
    for (const l of this.listeners.get(type) ?? []) {
      try {
        const r = (l.fn as Listener<K>)(data);
        if (r && typeof (r as Promise<void>).catch === 'function') (r as Promise<void>).catch((err) => this.failed(type, l.name, err));
      } catch (err) {
        this.failed(type, l.name, err);
      }
    }
  }

  /**
   * Publishes once `trx` commits, never if it rolls back; at once when `trx` is not a transaction
   * (a statement that committed on its own).
   */
  afterCommit<K extends DomainEventName>(trx: Knex, type: K, data: DomainEvents[K]) {
    const t = trx as unknown as Partial<Knex.Transaction>;
    if (!t.isTransaction || !t.executionPromise) return this.publish(type, data);
    t.executionPromise.then(
      () => this.publish(type, data),
      () => undefined, // rolled back: the fact never happened
    );
  }

  /** Whether anyone in this process listens (a publisher may skip building payloads otherwise). */
  has(type: DomainEventName) {
    return !!this.listeners.get(type)?.length;
  }

  /** Counts and logs a listener failure (durable consumers report theirs here too). */
  failed(type: string, listener: string, err: unknown, kind: 'in-process' | 'durable' = 'in-process') {
    this.failures.inc({ event: type, listener, kind });
    this.logger.error({ err, event: type, listener, kind }, 'domain event listener failed');
  }

  metrics(registry: client.Registry) {
    registry.registerMetric(this.failures);
  }
}
