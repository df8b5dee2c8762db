import { Router } from 'express';
import type { Db } from '../../platform/db/knex.js';
import { pendingMigrations } from '../../platform/db/migrations.js';
import { AppError } from '../../platform/errors.js';

/** Liveness says the process answers; readiness says it can do work (database up, schema current). */
export function healthRoutes(db: Db): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (req, res) => {
    let pending: number;
    try {
      await db.raw('select 1').timeout(2_000, { cancel: true });
      pending = await pendingMigrations(db);
    } catch (err) {
      req.log?.warn({ err }, 'readiness check failed');
      throw new AppError('database_unreachable', 503, 'The database does not answer');
    }
    if (pending > 0) throw new AppError('migrations_pending', 503, `${pending} migration(s) not applied`, { pending });
    res.json({ status: 'ready' });
  });
  return r;
}
