// Public API of the engine simulator (a development and test tool, not WhatsApp).
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type express from 'express';
import { createSimulatorApp } from './app.js';
import type { SimContext } from './context.js';
import type { SimOptions } from './options.js';
import type { Faults, Store } from './state/store.js';
import type { DeliveryRecord } from './webhooks/delivery.js';
import { describe, findTarget } from './control/actions.js';

export type { SimOptions } from './options.js';
export type { Faults, WahaSession, WuzUser, WahaStatus } from './state/store.js';
export type { DeliveryRecord } from './webhooks/delivery.js';
export { createSimulatorApp, type SimulatorApp } from './app.js';
export { SIM_LABEL } from './control/page.js';
export { REQUESTS as WUZAPI_REQUESTS, ANSWERS as WUZAPI_ANSWERS, checkRequest as checkWuzapiRequest, checkHistorySync as checkWuzapiHistorySync } from './contract/wuzapi-handlers.js';
export { loadWahaContract, loosenWahaDocument, defaultWahaContractPath, type WahaContract, type ContractResult } from './contract/waha-openapi.js';

export interface RunningSim {
  /** http://127.0.0.1:<port> (or the host given). */
  url: string;
  /** WAHA base URL (= url). */
  wahaUrl: string;
  /** WuzAPI base URL (= url + '/wuzapi'). */
  wuzapiUrl: string;
  apiKey: string;
  adminToken: string;
  port: number;
  app: express.Express;
  /** Live state, for tests. */
  store: Store;
  ctx: SimContext;
  /** Control-API view of one session (WAHA name or WuzAPI user name). */
  session(name: string): Record<string, unknown>;
  faults(f: Partial<Faults>): void;
  /** Every webhook attempt made (last 5000). */
  deliveries(): DeliveryRecord[];
  /** Resolves once no webhook delivery or retry is in flight (bounded). */
  webhooksIdle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startSimulator(opts: SimOptions = {}): Promise<RunningSim> {
  const sim = createSimulatorApp(opts);
  const { app, ctx, options } = sim;
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port, options.host, (err?: Error) => (err ? reject(err) : resolve(s)));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  sim.setBaseUrl(url);
  let closed = false;
  return {
    url,
    wahaUrl: url,
    wuzapiUrl: `${url}/wuzapi`,
    apiKey: options.apiKey,
    adminToken: options.adminToken,
    port,
    app,
    store: ctx.store,
    ctx,
    session: (name) => describe(findTarget(ctx, name)),
    faults: (f) => {
      ctx.store.faults = { ...ctx.store.faults, ...f };
    },
    deliveries: () => [...ctx.deliverer.log],
    webhooksIdle: (timeoutMs) => ctx.deliverer.idle(timeoutMs),
    close: async () => {
      if (closed) return;
      closed = true;
      ctx.store.clearTimers();
      await ctx.deliverer.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
