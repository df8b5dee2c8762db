// Shared by the engine adapter tests: the simulator in-process, a webhook receiver keeping raw bytes,
// a recording/counting HTTP proxy in front of the simulator, and small polling helpers.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSimulator, type RunningSim, type SimOptions } from 'engine-sim';
import { EngineRegistry, type EnginesConfig } from '../../src/features/engines/engine-registry.js';
import type { RawWebhook } from '../../src/features/engines/engine.types.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(fn: () => Promise<T> | T, timeoutMs = 5000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`${what} not met in ${timeoutMs} ms`);
    await sleep(15);
  }
}

export function startSim(opts: SimOptions = {}): Promise<RunningSim> {
  return startSimulator({ port: 0, qrRotateMs: 150, startDelayMs: 10, webhookRetry: { attempts: 2, delayMs: 10 }, ...opts });
}

export function registryFor(sim: RunningSim, over: Partial<EnginesConfig> = {}, urls: { waha?: string; wuzapi?: string } = {}): EngineRegistry {
  return new EngineRegistry({
    wahaUrl: urls.waha ?? sim.wahaUrl,
    wahaApiKey: sim.apiKey,
    wahaSessionMode: 'per-device',
    wuzapiUrl: urls.wuzapi ?? sim.wuzapiUrl,
    wuzapiAdminToken: sim.adminToken,
    timeoutMs: 2000,
    retries: 2,
    retryBaseMs: 5,
    ...over,
  });
}

/** The simulator's control API. */
export const control = (sim: RunningSim) => ({
  async post(path: string, body: unknown = {}): Promise<any> {
    const res = await fetch(`${sim.url}/_sim${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await res.json()) as unknown;
    if (!res.ok) throw new Error(`control ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  },
  async get(path: string): Promise<any> {
    return (await fetch(`${sim.url}/_sim${path}`)).json();
  },
});

export interface Received extends RawWebhook {
  path: string;
  json: () => any;
}

/** A webhook target that keeps each delivery's exact bytes and lower-cased headers. */
export async function startReceiver() {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({
        path: req.url ?? '',
        body,
        headers: { ...req.headers },
        json: () => {
          const ct = String(req.headers['content-type'] ?? '');
          const text = body.toString('utf8');
          return ct.includes('urlencoded') ? JSON.parse(new URLSearchParams(text).get('jsonData') ?? 'null') : JSON.parse(text);
        },
      });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    /** Deliveries to one path whose decoded body passes `pred`. */
    find: (path: string, pred: (j: any) => boolean = () => true) => received.filter((r) => r.path === path && pred(r.json())),
    waitFor: (path: string, pred: (j: any) => boolean, n = 1, timeoutMs = 5000) =>
      until(() => {
        const hits = received.filter((r) => r.path === path && pred(r.json()));
        return hits.length >= n ? hits : null;
      }, timeoutMs, `webhook at ${path}`),
    close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}
export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

export interface Recorded { method: string; path: string; body: unknown }

/**
 * An HTTP proxy in front of the simulator that records every request (method, path, JSON body).
 * When the simulator drops the connection, so does the proxy, so clients see the same failure.
 */
export async function startRecorder(target: string) {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks);
      let body: unknown = undefined;
      if (raw.length) {
        try { body = JSON.parse(raw.toString('utf8')); } catch { body = raw.toString('utf8'); }
      }
      requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', body });
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k)) headers[k] = v;
      }
      try {
        const r = await fetch(`${target}${req.url}`, { method: req.method, headers, body: raw.length ? raw : undefined });
        const out = Buffer.from(await r.arrayBuffer());
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
        res.end(out);
      } catch {
        req.socket.destroy();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    count: (method: string, pathPrefix: string) => requests.filter((r) => r.method === method && r.path.startsWith(pathPrefix)).length,
    close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}
export type Recorder = Awaited<ReturnType<typeof startRecorder>>;

/** A fresh device-like id and the session object an adapter needs. */
export const deviceId = () => crypto.randomUUID();
export const HMAC_KEY = 'k'.repeat(16) + Math.random().toString(36).slice(2).padEnd(24, 'x');
