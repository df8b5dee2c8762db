import type { RequestHandler } from 'express';
import { rateLimit, ipKeyGenerator } from 'express-rate-limit';
import type { Knex } from 'knex';
import { AppError } from '../../platform/errors.js';
import { PgRateLimitStore } from './rate-limit.store.js';

/**
 * Two limits on login: per client address and per email tried, each answering 429 with Retry-After.
 * Counted in the database, so the limits hold across replicas.
 */
export function loginRateLimits(db: Knex, opts: { windowSeconds: number; perIp: number; perEmail: number }): RequestHandler[] {
  const common = {
    windowMs: opts.windowSeconds * 1000,
    standardHeaders: 'draft-7' as const,
    legacyHeaders: false,
    // The limiter has already set Retry-After; the error handler writes the project's error shape.
    handler: (_req: unknown, _res: unknown, next: (e: unknown) => void) =>
      next(new AppError('rate_limited', 429, 'Too many login attempts; try again later')),
  };
  return [
    rateLimit({ ...common, store: new PgRateLimitStore(db, 'login-ip'), limit: opts.perIp, keyGenerator: (req) => `ip:${ipKeyGenerator(req.ip ?? '')}` }),
    rateLimit({
      ...common,
      store: new PgRateLimitStore(db, 'login-email'),
      limit: opts.perEmail,
      keyGenerator: (req) => {
        const email = (req.body as { email?: unknown } | undefined)?.email;
        return `email:${typeof email === 'string' ? email.trim().toLowerCase() : ''}`;
      },
    }),
  ];
}
