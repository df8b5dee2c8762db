import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { BackgroundJobs } from '../src/background.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('background jobs', () => {
  it('when stopped while a reconcile is under way, then stop tells it to stop and returns only once it has (it holds a pooled connection the pool would wait for)', async () => {
    let started = false;
    let finished = false;
    // A reconcile over many devices behind a slow engine: it ends early only when told to.
    const devices = {
      async reconcile(signal?: AbortSignal) {
        started = true;
        for (let i = 0; i < 200 && !signal?.aborted; i++) await sleep(10);
        await sleep(50); // the device being checked when told to stop
        finished = true;
        return { checked: 0, corrected: 0 };
      },
    };
    const jobs = new BackgroundJobs({
      db: {} as never,
      devices: devices as never,
      ingest: { close: async () => undefined } as never,
      sync: { start: () => undefined, stop: async () => undefined } as never,
      logger: pino({ level: 'silent' }),
      reconcileMs: 10,
      receiptRetentionHours: 1,
    });
    jobs.start();
    while (!started) await sleep(5);
    const t0 = Date.now();
    await jobs.stop();
    expect(finished).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });
});
