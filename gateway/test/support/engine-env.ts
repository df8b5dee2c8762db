import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSimulator, type RunningSim } from 'engine-sim';
import { expect } from 'vitest';
import { startTestApp, type TestApp } from './test-app.js';
import { client } from './http.js';
import { makeOrg, makeUser, PASSWORD } from './factories.js';

export interface Delivery {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * Sits between the simulator's webhooks and the gateway: records every delivery's exact bytes and
 * headers, and forwards them (or, with `forward = false`, only records them, for replaying later).
 */
export class WebhookRelay {
  deliveries: Delivery[] = [];
  forward = true;
  /** Deliveries held back from the gateway (see `hold`): the engine waits for their answer meanwhile. */
  private holds: { match: (d: Delivery) => boolean; waiting: (() => void)[]; released: boolean }[] = [];
  /** Deliveries passed on to the gateway and not yet answered. */
  private readonly forwarding = new Set<Delivery>();
  private server!: Server;
  url = '';

  constructor(private readonly target: () => string) {}

  async start() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', async () => {
        const d = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) };
        this.deliveries.push(d);
        if (!this.forward) return void res.writeHead(200).end('{}');
        const hold = this.holds.find((h) => !h.released && h.match(d));
        if (hold) await new Promise<void>((r) => hold.waiting.push(r));
        this.forwarding.add(d);
        try {
          const r = await replay(this.target(), d);
          res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text());
        } catch {
          res.writeHead(502).end();
        } finally {
          this.forwarding.delete(d);
        }
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /**
   * Holds back the deliveries `match` picks (others pass) until `release()`: a test can make the
   * gateway see the engine's webhooks in the order a busy network would. `held` counts those waiting.
   */
  hold(match: (d: Delivery) => boolean) {
    const h = { match, waiting: [] as (() => void)[], released: false };
    this.holds.push(h);
    return {
      get held() {
        return h.waiting.length;
      },
      release: () => {
        h.released = true;
        this.holds = this.holds.filter((x) => x !== h);
        for (const go of h.waiting.splice(0)) go();
      },
    };
  }

  /** Resolves once no delivery `match` picks is on its way to the gateway (passed on, not yet answered). */
  async settled(match: (d: Delivery) => boolean = () => true, timeoutMs = 30_000) {
    await eventually(async () => ![...this.forwarding].some(match), timeoutMs, 'deliveries passed on to be answered');
  }

  close() {
    for (const h of [...this.holds]) for (const go of h.waiting.splice(0)) go();
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(r));
  }
}

/** The engine's event type of a delivery (WAHA `event`, WuzAPI `type`, in either WuzAPI wire format). */
export function eventTypeOf(d: Delivery): string | null {
  const text = d.body.toString('utf8');
  try {
    const json = /^\s*\{/.test(text) ? JSON.parse(text) : JSON.parse(new URLSearchParams(text).get('jsonData') ?? 'null');
    return json?.type ?? json?.event ?? null;
  } catch {
    return null;
  }
}

/** Sends a recorded delivery to the gateway exactly as the engine did. */
export function replay(base: string, d: Delivery) {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.headers)) if (typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k)) headers[k] = v;
  return fetch(base + d.path, { method: 'POST', headers, body: new Uint8Array(d.body) });
}

export interface EngineEnv {
  sim: RunningSim;
  relay: WebhookRelay;
  t: TestApp;
  http: ReturnType<typeof client>;
  org: { id: string };
  owner: { id: string; email: string; token: string };
  login(email: string): Promise<string>;
  close(): Promise<void>;
}

/** Simulator + relay + gateway on one fresh database, with an editor who owns devices. */
export async function startEngineEnv(env: Record<string, string> = {}, opts: { databaseUrl?: string; validateEvents?: boolean } = {}): Promise<EngineEnv> {
  const sim = await startSimulator({ qrRotateMs: 400, webhookRetry: { attempts: 5, delayMs: 50 } });
  let appUrl = '';
  const relay = await new WebhookRelay(() => appUrl).start();
  const t = await startTestApp(
    {
      WAHA_URL: sim.wahaUrl,
      WAHA_API_KEY: sim.apiKey,
      WUZAPI_URL: sim.wuzapiUrl,
      WUZAPI_ADMIN_TOKEN: sim.adminToken,
      WEBHOOK_BASE_URL: relay.url,
      ENGINE_TIMEOUT_MS: '2000',
      ENGINE_RETRIES: '1',
      LOGIN_RATE_MAX_PER_EMAIL: '1000',
      LOGIN_RATE_MAX_PER_IP: '10000',
      SYNC_PAGE_SIZE: '100',
      // WuzAPI imports wait for HistorySync pushes; an empty test phone pushes none.
      SYNC_HISTORY_QUIET_SECONDS: '1',
      ...env,
    },
    opts,
  );
  appUrl = t.url;
  const http = client(t.url);
  const login = async (email: string) => {
    const r = await http.post('/api/auth/login', { body: { email, password: PASSWORD } });
    expect(r.status).toBe(200);
    return r.body.accessToken as string;
  };
  const org = opts.databaseUrl ? ((await t.db('orgs').first()) as { id: string }) : await makeOrg(t.db);
  const ownerRow = opts.databaseUrl ? await t.db('users').where({ org_id: org.id, role: 'editor' }).first() : await makeUser(t.db, org.id, 'editor');
  const owner = { id: ownerRow.id, email: ownerRow.email, token: await login(ownerRow.email) };
  return {
    sim,
    relay,
    t,
    http,
    org,
    owner,
    login,
    async close() {
      await t.close();
      await relay.close();
      await sim.close();
    },
  };
}

/** Polls until `check` returns a value (not undefined/false), or fails after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined | false | null>, ms = 10_000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await check();
      if (v !== undefined && v !== false && v !== null) return v as T;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

export const control = (sim: RunningSim) => client(`${sim.url}/_sim`);
