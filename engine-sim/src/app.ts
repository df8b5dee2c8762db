// The simulator as an Express app without listen: WAHA under /api, WuzAPI under /wuzapi, control under /_sim.
import express from 'express';
import type { SimContext } from './context.js';
import { controlRouter } from './control/control.routes.js';
import { SIM_LABEL } from './control/page.js';
import { type ResolvedOptions, type SimOptions, resolveOptions } from './options.js';
import { Store } from './state/store.js';
import { wahaRouter } from './waha/router.js';
import { WebhookDeliverer } from './webhooks/delivery.js';
import { wuzapiRouter } from './wuzapi/router.js';

export interface SimulatorApp {
  app: express.Express;
  ctx: SimContext;
  options: ResolvedOptions;
  /** Set the base URL used in media links once the listening port is known. */
  setBaseUrl(url: string): void;
}

export function createSimulatorApp(opts: SimOptions = {}): SimulatorApp {
  const options = resolveOptions(opts);
  const store = new Store();
  let baseUrl = options.publicUrl ?? `http://${options.host}:${options.port}`;
  const ctx: SimContext = {
    opts: options,
    store,
    log: options.logger,
    baseUrl: () => baseUrl,
    settings: { wuzapiWebhookFormat: options.wuzapiWebhookFormat },
    deliverer: new WebhookDeliverer(() => store.faults, () => options.webhookRetry, options.logger),
  };
  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.setHeader('X-Engine-Simulator', SIM_LABEL.replace('—', '-'));
    next();
  });
  app.get('/', (_req, res) => {
    res.redirect('/_sim');
  });
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, simulator: SIM_LABEL });
  });
  app.use('/_sim', controlRouter(ctx, () => undefined));
  app.use('/wuzapi', wuzapiRouter(ctx));
  app.use('/api', wahaRouter(ctx));
  return {
    app,
    ctx,
    options,
    setBaseUrl: (url) => {
      if (!options.publicUrl) baseUrl = url;
    },
  };
}
