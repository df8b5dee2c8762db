import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { DevicesService } from './features/devices/devices.service.js';
import type { IngestService } from './features/ingest/ingest.service.js';
import type { SyncService } from './features/sync/sync.service.js';
import { pruneRateLimits } from './features/auth/rate-limit.store.js';

/** Work that runs beside the HTTP server: history imports, status reconcile, pruning (webhook receipts, login counters). */
export class BackgroundJobs {
  private timers: NodeJS.Timeout[] = [];
  /** Periodic runs under way: each holds a pooled connection, so the pool cannot close before they end. */
  private running = new Set<Promise<unknown>>();
  private stopping = new AbortController();
  private extra: { ms: number; what: string; fn: () => Promise<unknown> }[] = [];
  private workers: { start(): void; stop(): Promise<void> }[] = [];

  constructor(
    private readonly deps: {
      db: Knex;
      devices: DevicesService;
      ingest: IngestService;
      sync: SyncService;
      logger: Logger;
      reconcileMs: number;
      receiptRetentionHours: number;
    },
  ) {}

  start() {
    const { devices, sync, logger, reconcileMs } = this.deps;
    this.stopping = new AbortController();
    const { signal } = this.stopping;
    sync.start();
    const every = (ms: number, what: string, fn: () => Promise<unknown>) => {
      const t = setInterval(() => {
        const run: Promise<unknown> = fn()
          .catch((err) => logger.warn({ err }, `${what} failed`))
          .finally(() => this.running.delete(run));
        this.running.add(run);
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(reconcileMs, 'device reconcile', () => devices.reconcile(signal));
    every(60 * 60_000, 'pruning (webhook receipts, login counters)', () => this.prune());
    for (const j of this.extra) every(j.ms, j.what, j.fn);
    for (const w of this.workers) w.start();
  }

  /** A worker of another feature (e.g. the outbox sender), started and stopped with the rest. */
  addWorker(w: { start(): void; stop(): Promise<void> }) {
    this.workers.push(w);
  }

  /** Periodic work of another feature (e.g. event-log pruning), started and stopped with the rest. */
  schedule(ms: number, what: string, fn: () => Promise<unknown>) {
    this.extra.push({ ms, what, fn });
  }

  /** What stop() is waiting for (a shutdown that takes too long says so). */
  waitingFor: string | null = null;

  /** Stops timers, hands a running import back to the queue, and flushes queued webhook events. */
  async stop() {
    this.stopping.abort();
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.waitingFor = 'periodic jobs and workers';
    await Promise.all([...this.running, ...this.workers.map((w) => w.stop())]);
    this.waitingFor = 'history import';
    await this.deps.sync.stop();
    this.waitingFor = 'webhook ingest';
    await this.deps.ingest.close();
    this.waitingFor = null;
  }

  private async prune() {
    const { db, receiptRetentionHours } = this.deps;
    await db('webhook_receipts').where('received_at', '<', db.raw(`now() - (? * interval '1 hour')`, [receiptRetentionHours])).del();
    await pruneRateLimits(db);
  }
}
