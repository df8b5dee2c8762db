// A local webhook target that records raw bodies and can fail on demand.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received { path: string; headers: http.IncomingHttpHeaders; raw: string; at: number }

export interface Receiver {
  url: string;
  received: Received[];
  /** Answer the next n requests with this status. */
  failNext(n: number, status?: number): void;
  /** Wait until `pred` holds over the received list (bounded). */
  waitFor(pred: (r: Received[]) => boolean, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  let failures = 0;
  let failStatus = 500;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (failures > 0) {
        failures--;
        res.statusCode = failStatus;
        res.end('fail');
        return;
      }
      received.push({ path: req.url ?? '', headers: req.headers, raw: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    failNext: (n, status = 500) => {
      failures = n;
      failStatus = status;
    },
    waitFor: async (pred, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      while (!pred(received)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting; received ${received.length}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return received;
    },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value (bounded). */
export async function until<T>(fn: () => Promise<T> | T, timeoutMs = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}
