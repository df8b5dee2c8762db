import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { LRUCache } from 'lru-cache';
import client from 'prom-client';
import { MicroBatcher } from './micro-batcher.js';
import { applyParked, writeBatch } from './ingest.writer.js';
import { mayBeUnjoinedEcho } from './ingest.messages.js';
import type { IngestItem, IngestOptions, IngestResult, KnownChat, SealedOutcome, SentState } from './ingest.types.js';
import type { EventBus } from '../../platform/events/event-bus.js';
import type { JobQueue } from '../../platform/jobs/job-queue.js';

/** What the ingest asks of the outbox: when this process's sends in flight on a device have their engine ids on their rows. */
export interface SendsInFlight {
  /** Resolves once they have (null when there are none): an echo that beats its send's answer then needs no join. */
  settled(deviceId: string): Promise<void> | null;
}

/**
 * The one way engine events reach the database. Live webhooks go through a micro-batcher (one
 * transaction and one NOTIFY per batch, each delivery answered after its batch commits); the
 * history import writes its pages directly with `writeNow`.
 */
export class IngestService {
  private readonly batcher: MicroBatcher<IngestItem, void>;
  private readonly knownContacts = new LRUCache<string, string>({ max: 200_000 });
  // Chats are never re-keyed; a device's removal deletes its chats, but its webhooks then answer 404.
  private readonly knownChats = new LRUCache<string, KnownChat>({ max: 200_000 });
  // Ids our outbox wrote on its rows: their echoes need no join, or no statement (see mayBeEchoes, dropKnownEchoes).
  private readonly knownSent = new LRUCache<string, SentState>({ max: 10_000, ttl: 10 * 60_000 });
  /** Sealed changes (encrypted edits, WuzAPI poll votes) by outcome: opened, no_secret, failed. */
  readonly sealed = new client.Counter({ name: 'ingest_sealed_changes_total', help: 'Sealed edits and poll votes whose original is stored, by outcome', labelNames: ['outcome'] as const, registers: [] });
  private readonly onSealed = (outcome: SealedOutcome, about: { deviceId: string; targetId: string; use: string }) => {
    this.sealed.labels(outcome).inc();
    // Not opened: the original keeps its text (marked edited) or the poll its counts; worth a look only when debugging.
    if (outcome !== 'opened') this.logger.debug({ ...about, outcome }, 'sealed change not opened');
  };

  /** Parked changes the sweep applied: each one was parked while its original was being written beside it. */
  readonly parkedApplied = new client.Counter({ name: 'ingest_parked_applied_total', help: 'Parked changes applied by the sweep, after their original was stored beside them', registers: [] });

  constructor(
    private readonly db: Knex,
    private readonly logger: Logger,
    opts: { maxItems: number; maxWaitMs: number; concurrency: number; parkedSweepMs: number },
    private readonly events: EventBus,
    private readonly sends: SendsInFlight,
    jobs: JobQueue,
  ) {
    this.batcher = new MicroBatcher((items) => this.flush(items), opts);
    // Once across replicas: changes parked while their original was being written beside them.
    jobs.every('ingest.apply-parked', opts.parkedSweepMs, () => this.applyParked());
    // The outbox wrote `engineId` on its row (committed), with this ack and full id: its echo needs no join.
    events.on('message.sent', 'ingest.known-sent', (s) => {
      this.knownSent.set(`${s.deviceId}|${s.engineId}`, { ack: s.ack, fullId: s.fullId });
    });
  }

  /** Resolves once the delivery is durable (committed). */
  submit(item: IngestItem): Promise<void> {
    const wait = this.mayEchoOurSend(item) ? this.sends.settled(item.device.id) : null;
    return wait ? wait.then(() => this.batcher.submit(item)) : this.batcher.submit(item);
  }

  private mayEchoOurSend(item: IngestItem) {
    return item.events.some((e) => e.kind === 'message' && mayBeUnjoinedEcho(item.device.id, e.message, this.knownSent));
  }

  /**
   * Stores `items` now. Given `trx`, inside that transaction (the caller's other writes commit with
   * them, or neither does); what this process remembers and announces then waits for its commit.
   */
  async writeNow(items: IngestItem[], opts: IngestOptions = {}, trx?: Knex.Transaction): Promise<IngestResult> {
    const result = await writeBatch(trx ?? this.db, items, { ...opts, knownContacts: this.knownContacts, knownChats: this.knownChats, knownSent: this.knownSent, onSealed: this.onSealed });
    const committed = () => {
      for (const [key, names] of result.contactsWritten) this.knownContacts.set(key, names);
      for (const [key, chat] of result.chatsSeen) this.knownChats.set(key, chat);
      this.announce(result);
    };
    if (trx) trx.executionPromise.then(committed, () => undefined); // rolled back: nothing to remember
    else committed();
    return result;
  }

  /**
   * Applies parked changes whose original is stored by now (see `applyParked` in the writer): the last
   * hour's, or with `all` every one. Off the webhook path: the job queue runs it every few seconds.
   */
  async applyParked(o: { all?: boolean } = {}) {
    const result = await applyParked(this.db, { ...o, onSealed: this.onSealed });
    if (result.applied) {
      this.parkedApplied.inc(result.applied);
      this.logger.info({ applied: result.applied }, 'parked changes applied after their original was stored beside them');
    }
    this.announce(result);
    return result.applied;
  }

  /** The batch is committed: its facts go to this process's listeners (durable consumers read them from the log). */
  private announce(result: IngestResult) {
    const { events } = this;
    for (const m of result.received) events.publish('message.received', m);
    for (const m of result.changed) events.publish('message.status_changed', m);
    for (const c of result.statusChanges) {
      events.publish('device.status_changed', { orgId: c.orgId, deviceId: c.deviceId, status: c.to, previous: c.from });
      if (c.to === 'connected') events.publish('device.connected', { orgId: c.orgId, deviceId: c.deviceId });
    }
  }

  close() {
    return this.batcher.close();
  }

  metrics(registry: client.Registry) {
    registry.registerMetric(this.sealed);
    registry.registerMetric(this.parkedApplied);
  }

  private async flush(items: IngestItem[]): Promise<PromiseSettledResult<void>[]> {
    try {
      await this.writeNow(items);
      return items.map(() => ({ status: 'fulfilled', value: undefined }));
    } catch (err) {
      if (items.length === 1) return [{ status: 'rejected', reason: err }];
      // One bad delivery must not fail its neighbours: store each alone; only the bad one fails
      // (and its engine retries it).
      this.logger.warn({ err, size: items.length }, 'ingest batch failed; storing its deliveries one by one');
      const out: PromiseSettledResult<void>[] = [];
      for (const i of items) {
        try {
          await this.writeNow([i]);
          out.push({ status: 'fulfilled', value: undefined });
        } catch (e) {
          out.push({ status: 'rejected', reason: e });
        }
      }
      return out;
    }
  }
}
