import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { IngestService } from './features/ingest/ingest.service.js';
import type { JobQueue } from './platform/jobs/job-queue.js';
import { pruneRateLimits } from './features/auth/rate-limit.store.js';

interface Worker {
  start(): void;
  stop(): Promise<void>;
}

/**
 * Work beside the HTTP server, started and stopped with the process: the job queue (history imports,
 * device reconcile, pruning: each feature defines its own jobs on it), the workers that stay
 * loops of their own (outbox sender, media fetcher, durable event consumers: each polls one table
 * and is kicked in process), and the webhook ingest's last batch.
 */
export class BackgroundJobs {
  private started: Promise<void> | null = null;

  constructor(
    private readonly deps: {
      db: Knex;
      jobs: JobQueue;
      ingest: IngestService;
      workers: Worker[];
      logger: Logger;
      receiptRetentionHours: number;
    },
  ) {
    // Webhook receipts (deduplication ids), login counters, spent jobs: nobody's feature needs them once old.
    deps.jobs.every('maintenance.prune', 60 * 60_000, () => this.prune());
  }

  start() {
    for (const w of this.deps.workers) w.start();
    this.started = this.deps.jobs.start().catch((err) => this.deps.logger.error({ err }, 'the job queue could not start'));
  }

  /** What stop() is waiting for (a shutdown that takes too long says so). */
  waitingFor: string | null = null;

  /** Stops the workers and the queue (a running import pauses after its page and is queued again), then flushes queued webhook events. */
  async stop() {
    this.waitingFor = 'job queue and workers';
    await this.started;
    await Promise.all([this.deps.jobs.stop(), ...this.deps.workers.map((w) => w.stop())]);
    this.waitingFor = 'webhook ingest';
    await this.deps.ingest.close();
    this.waitingFor = null;
  }

  private async prune() {
    const { db, receiptRetentionHours } = this.deps;
    await db('webhook_receipts').where('received_at', '<', db.raw(`now() - (? * interval '1 hour')`, [receiptRetentionHours])).del();
    await pruneRateLimits(db);
    // Parked changes whose original is stored are applied first (every one, not only the sweep's last hour);
    // an ack, edit, revoke, sealed edit or vote whose original never came in 30 days never will (the
    // phone's history is in by then).
    await this.deps.ingest.applyParked({ all: true });
    await db('message_updates_pending').where('created_at', '<', db.raw(`now() - interval '30 days'`)).del();
    await db('sealed_updates_pending').where('created_at', '<', db.raw(`now() - interval '30 days'`)).del();
    await this.deps.jobs.prunePermanentlyFailed();
  }
}
