// Outage and slowness for the engine API routes (never for /_sim, so tests can always heal it).
import type { NextFunction, Request, Response } from 'express';
import type { Store } from './state/store.js';
import { sleep } from './util/time.js';

export function faultsMiddleware(store: Store) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const f = store.faults;
    if (f.down) {
      // A client sees a connection reset, as if the engine container were gone.
      req.socket.destroy();
      return;
    }
    if (f.latencyMs > 0) await sleep(Math.min(f.latencyMs, 120_000));
    next();
  };
}

export function parseFaults(body: Record<string, unknown>, current: Store['faults']): Store['faults'] {
  const next = { ...current };
  if (typeof body.down === 'boolean') next.down = body.down;
  if (typeof body.latencyMs === 'number' && body.latencyMs >= 0) next.latencyMs = Math.min(body.latencyMs, 120_000);
  if (typeof body.webhookDuplicates === 'number' && body.webhookDuplicates >= 0) next.webhookDuplicates = Math.min(Math.floor(body.webhookDuplicates), 20);
  if (typeof body.webhookFailFirst === 'boolean') next.webhookFailFirst = body.webhookFailFirst;
  if (typeof body.lidSender === 'boolean' || (typeof body.lidSender === 'number' && body.lidSender >= 0 && body.lidSender <= 1)) next.lidSender = body.lidSender;
  return next;
}
