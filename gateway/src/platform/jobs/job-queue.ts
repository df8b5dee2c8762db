import type { Knex } from 'knex';
import type { Logger as Pino } from 'pino';
import pg from 'pg';
import client from 'prom-client';
import { Logger, run, type Runner, type Task } from 'graphile-worker';

/** What a job's handler is told about its run. */
export interface JobRun {
  /** This run's number, from 1; the queue retries a throwing handler (back-off) until `maxAttempts`. */
  attempt: number;
  maxAttempts: number;
  /** Aborts when the process is stopping: a long job stops at its next safe point and re-queues what is left. */
  signal: AbortSignal;
}

export interface AddJobOptions {
  /** One waiting job per key: adding again replaces it (a running one keeps running; the new one runs after). */
  jobKey?: string;
  runAt?: Date;
  maxAttempts?: number;
  /** `preserve_run_at`: a replacement keeps the waiting job's time (replicas starting do not push it back). */
  mode?: 'replace' | 'preserve_run_at';
}

export type JobHandler = (payload: Record<string, unknown>, run: JobRun) => Promise<void>;

/**
 * One durable job queue for the whole gateway: graphile-worker over our own PostgreSQL (no other
 * server). Jobs are rows, added in the caller's transaction (so work and the fact that asks for it
 * commit together), picked up at once through LISTEN/NOTIFY by any replica, retried with exponential
 * back-off when their handler throws, and kept unique by key. Features define their tasks where they
 * are built (`define`, `every`); BackgroundJobs starts and stops the queue with the process.
 */
export class JobQueue {
  private readonly tasks = new Map<string, JobHandler>();
  private readonly periodic: { name: string; ms: number }[] = [];
  private runner: Runner | null = null;
  private pool: pg.Pool | null = null;
  /** Job runs that threw (a periodic job's failure included), by task: /metrics jobs_failed_total. */
  readonly failures = new client.Counter({ name: 'jobs_failed_total', help: 'Background job runs that failed, by task', labelNames: ['task'] as const, registers: [] });

  constructor(
    private readonly db: Knex,
    private readonly opts: { concurrency: number; pollMs: number },
    private readonly logger: Pino,
  ) {}

  /** A task: `name` jobs run `handler`; a throw is retried with back-off up to the job's max attempts. */
  define(name: string, handler: JobHandler) {
    this.tasks.set(name, handler);
  }

  /**
   * Periodic work, `ms` apart, once across all replicas (one job under the key `every:<name>` that adds
   * its successor when it ends). A failure is logged; the next period is its retry.
   */
  every(name: string, ms: number, fn: (signal: AbortSignal) => Promise<unknown>) {
    this.define(name, async (_payload, run) => {
      try {
        await fn(run.signal);
      } catch (err) {
        this.failures.inc({ task: name });
        this.logger.warn({ err, job: name }, `${name} failed`);
      } finally {
        // Not while stopping: the next start adds it again, and stop() must not wait on new rows.
        if (this.runner) await this.add(name, {}, { jobKey: `every:${name}`, runAt: new Date(Date.now() + ms) }).catch((err) => this.logger.warn({ err }, `${name} could not be rescheduled`));
      }
    });
    this.periodic.push({ name, ms });
  }

  /** Adds a job, in `trx` when given (it exists only if that transaction commits). */
  async add(name: string, payload: Record<string, unknown>, o: AddJobOptions & { trx?: Knex } = {}) {
    await (o.trx ?? this.db).raw(
      `SELECT graphile_worker.add_job(?, ?::json, run_at => ?::timestamptz, max_attempts => ?::smallint, job_key => ?, job_key_mode => ?)`,
      [name, JSON.stringify(payload), o.runAt?.toISOString() ?? null, o.maxAttempts ?? null, o.jobKey ?? null, o.mode ?? 'replace'],
    );
  }

  /** Jobs that used up their attempts, kept a week for a look (`graphile_worker.jobs`), then deleted. */
  prunePermanentlyFailed() {
    return this.db.raw(
      `DELETE FROM graphile_worker._private_jobs WHERE attempts >= max_attempts AND locked_at IS NULL AND updated_at < now() - interval '7 days'`,
    );
  }

  metrics(registry: client.Registry) {
    registry.registerMetric(this.failures);
  }

  get running() {
    return !!this.runner;
  }

  async start() {
    if (this.runner) return;
    this.pool = new pg.Pool({ ...poolConfigOf(this.db), max: this.opts.concurrency + 2 });
    // A dropped connection (database restart) is logged; the queue reconnects.
    this.pool.on('error', (err) => this.logger.warn({ err }, 'job queue connection failed'));
    this.pool.on('connect', (client) => client.on('error', (err) => this.logger.warn({ err }, 'job queue connection failed')));
    const taskList: Record<string, Task> = {};
    for (const [name, handler] of this.tasks) {
      taskList[name] = async (payload, helpers) => {
        try {
          await handler((payload ?? {}) as Record<string, unknown>, { attempt: helpers.job.attempts, maxAttempts: helpers.job.max_attempts, signal: helpers.abortSignal });
        } catch (err) {
          this.failures.inc({ task: name });
          throw err; // the queue retries it with back-off (and logs it)
        }
      };
    }
    this.runner = await run({
      pgPool: this.pool,
      taskList,
      concurrency: this.opts.concurrency,
      pollInterval: this.opts.pollMs,
      noHandleSignals: true, // main.ts owns shutdown
      // Running jobs are told to stop as soon as a shutdown begins (an import pauses after its page).
      gracefulShutdownAbortTimeout: 0,
      logger: graphileLogger(this.logger),
    });
    // A restarted replica must not push the next run back: an existing waiting job keeps its time.
    for (const p of this.periodic) await this.add(p.name, {}, { jobKey: `every:${p.name}`, runAt: new Date(Date.now() + p.ms), mode: 'preserve_run_at' });
  }

  /** Takes no new jobs and waits for the running ones (handlers watch their own stop signals). */
  async stop() {
    const runner = this.runner;
    this.runner = null;
    if (runner) await runner.stop();
    const pool = this.pool;
    this.pool = null;
    if (!pool) return;
    // graphile-worker hands back its LISTEN connection just after stop() resolves: wait for it (briefly),
    // so the database is not closed under it (a shutdown would log its connection errors).
    for (let i = 0; i < 200 && pool.totalCount > pool.idleCount; i++) await new Promise((r) => setTimeout(r, 5));
    await pool.end();
  }
}

/** The connection settings of a knex instance, for a pg.Pool of our own (knex keeps them parsed). */
export function poolConfigOf(db: Knex): pg.PoolConfig {
  const c = (db.client as { config: { connection: string | pg.PoolConfig } }).config.connection;
  // knex hides the password (non-enumerable): a spread alone would drop it.
  return typeof c === 'string' ? { connectionString: c } : { ...c, password: c.password };
}

/** graphile-worker's log lines into ours (JSON, with the job and worker in each line). */
function graphileLogger(logger: Pino) {
  return new Logger((scope) => (level, message, meta) => {
    const obj = { ...scope, ...meta, component: 'jobs' };
    if (level === 'error') logger.error(obj, message);
    else if (level === 'warning') logger.warn(obj, message);
    else if (level === 'info') logger.debug(obj, message); // it announces every job; ours say what matters
    else logger.trace(obj, message);
  });
}
