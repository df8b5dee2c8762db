// Posts webhooks the way the engines do: asynchronously, retried with backoff on any failure or
// non-2xx, and — when faults ask for it — duplicated or failing on the first attempt.
import { setMaxListeners } from 'node:events';
import type pino from 'pino';
import { Agent, request } from 'undici';
import type { Faults } from '../state/store.js';
import { sleep } from '../util/time.js';

export interface DeliveryJob {
  url: string;
  /** The exact bytes posted (signatures are computed over them). */
  body: string;
  /** Headers per attempt (request ids and timestamps change between attempts). */
  headers: (attempt: number) => Record<string, string>;
  /** For logs and inspection: engine, session and event type. */
  label: { engine: 'waha' | 'wuzapi'; session: string; event: string };
}

export interface DeliveryRecord {
  url: string;
  engine: string;
  session: string;
  event: string;
  copy: number;
  attempt: number;
  ok: boolean;
  status: number | null;
  error: string | null;
  at: number;
}

/** An attempt that has not got its answer in this long has failed (and is retried). */
const ATTEMPT_TIMEOUT_MS = 10_000;

export class WebhookDeliverer {
  private readonly pending = new Set<Promise<void>>();
  private readonly stop = new AbortController();
  // Kept-alive connections to each receiver, as an engine keeps them; a WHATWG fetch per webhook
  // cost the simulator about as much CPU as the send it reports.
  private readonly agent = new Agent({ headersTimeout: ATTEMPT_TIMEOUT_MS, bodyTimeout: ATTEMPT_TIMEOUT_MS });
  readonly log: DeliveryRecord[] = [];

  constructor(
    private readonly faults: () => Faults,
    private readonly retry: () => { attempts: number; delayMs: number },
    private readonly logger: pino.Logger,
  ) {
    // Every delivery in flight listens to it (undici removes the listener when the request ends):
    // more than 10 at once is normal, not the leak Node's warning is there to catch.
    setMaxListeners(0, this.stop.signal);
  }

  send(job: DeliveryJob): void {
    if (this.stop.signal.aborted) return;
    const f = this.faults();
    const copies = 1 + Math.max(0, Math.min(20, Math.floor(f.webhookDuplicates)));
    for (let copy = 0; copy < copies; copy++) {
      const p = this.deliver(job, copy, f.webhookFailFirst).finally(() => this.pending.delete(p));
      this.pending.add(p);
    }
  }

  private async deliver(job: DeliveryJob, copy: number, failFirst: boolean): Promise<void> {
    const { attempts, delayMs } = this.retry();
    for (let attempt = 1; attempt <= attempts && !this.stop.signal.aborted; attempt++) {
      let ok = false;
      let status: number | null = null;
      let error: string | null = null;
      if (failFirst && attempt === 1) {
        error = 'simulated failure (webhookFailFirst)';
      } else {
        try {
          const res = await request(job.url, { method: 'POST', body: job.body, headers: job.headers(attempt), signal: this.stop.signal, dispatcher: this.agent });
          status = res.statusCode;
          ok = status >= 200 && status < 300;
          await res.body.dump().catch(() => undefined);
        } catch (e) {
          error = e instanceof Error ? e.message : String(e);
        }
      }
      this.record({ url: job.url, ...job.label, copy, attempt, ok, status, error, at: Date.now() });
      if (ok) return;
      this.logger.debug({ url: job.url, event: job.label.event, attempt, status, error }, 'webhook delivery failed');
      if (attempt < attempts) await sleep(delayMs * 2 ** (attempt - 1), this.stop.signal);
    }
  }

  private record(r: DeliveryRecord): void {
    this.log.push(r);
    if (this.log.length > 5000) this.log.splice(0, this.log.length - 5000);
  }

  /** Resolves when no delivery (including retries) is in flight; bounded to `timeoutMs`. */
  async idle(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.pending]), sleep(Math.max(1, deadline - Date.now()))]);
    }
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Stops retries and aborts requests in flight. */
  async close(): Promise<void> {
    this.stop.abort();
    await Promise.allSettled([...this.pending]);
    // destroy, not close: close would wait for the receivers to answer what is still in flight.
    await this.agent.destroy().catch(() => undefined);
  }
}
