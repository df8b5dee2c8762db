// WAHA's HTTP conventions: X-Api-Key auth, NestJS-style errors, 422 for a wrong session status.
import type { NextFunction, Request, Response } from 'express';
import type { SimContext } from '../context.js';
import { SimError } from '../context.js';
import type { WahaSession, WahaStatus } from '../state/store.js';
import { sleep } from '../util/time.js';

export function wahaAuth(ctx: SimContext) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const key = req.get('x-api-key') ?? (typeof req.query['x-api-key'] === 'string' ? req.query['x-api-key'] : undefined);
    if (key !== ctx.opts.apiKey) {
      res.status(401).json({ message: 'Unauthorized', statusCode: 401 });
      return;
    }
    next();
  };
}

export const badRequest = (messages: string[]) => new SimError(400, 'Bad Request', { message: messages });

export function getSession(ctx: SimContext, name: unknown): WahaSession {
  const s = typeof name === 'string' ? ctx.store.waha.get(name) : undefined;
  if (!s) throw new SimError(404, 'Not Found', { message: `Session "${String(name)}" does not exist` });
  return s;
}

/** Like WAHA: a call that needs a status waits a little while the session is starting, then 422. */
export async function requireStatus(s: WahaSession, expected: WahaStatus[]): Promise<void> {
  for (let i = 0; i < 250 && s.status === 'STARTING' && !expected.includes('STARTING'); i++) await sleep(20);
  if (!expected.includes(s.status)) {
    throw new SimError(422, 'Unprocessable', {
      error: 'Session status is not as expected. Try again later or restart the session',
      session: s.name,
      status: s.status,
      expected,
    });
  }
}

/** Turns SimError (and anything else) into WAHA's error bodies. */
export function wahaErrors(ctx: SimContext) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (err instanceof SimError) {
      if (err.status === 422 && 'error' in err.extra) res.status(422).json(err.extra);
      else res.status(err.status).json({ statusCode: err.status, error: err.message, message: err.message, ...err.extra });
      return;
    }
    const status = (err as { status?: number; type?: string }).type === 'entity.parse.failed' ? 400 : 500;
    if (status === 500) ctx.log.error({ err, path: req.path }, 'waha route failed');
    res.status(status).json({ statusCode: status, message: status === 400 ? 'Invalid JSON body' : 'Internal server error' });
  };
}

export function requiredStrings(body: Record<string, unknown>, fields: string[]): void {
  const missing = fields.filter((f) => typeof body[f] !== 'string' || (body[f] as string).length === 0);
  if (missing.length) throw badRequest(missing.map((f) => `${f} should not be empty`));
}
