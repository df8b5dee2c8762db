import express, { Router } from 'express';
import type { SimContext } from '../context.js';
import { faultsMiddleware } from '../faults.js';
import { wahaAuth, wahaErrors } from './http.js';
import { pairingRouter } from './pairing.routes.js';
import { readRouter } from './read.routes.js';
import { sendRouter } from './send.routes.js';
import { sessionsRouter } from './sessions.routes.js';

/** Everything WAHA serves under /api. */
export function wahaRouter(ctx: SimContext): Router {
  const r = Router();
  r.use(faultsMiddleware(ctx.store));
  r.use(wahaAuth(ctx));
  r.use(express.json({ limit: '64mb' }));
  r.use(sessionsRouter(ctx));
  r.use(pairingRouter(ctx));
  r.use(sendRouter(ctx));
  r.use(readRouter(ctx));
  r.use((req, res) => {
    res.status(404).json({ message: `Cannot ${req.method} ${req.originalUrl}`, error: 'Not Found', statusCode: 404 });
  });
  r.use(wahaErrors(ctx));
  return r;
}
