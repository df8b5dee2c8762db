// WuzAPI's HTTP conventions: admin `Authorization: <token>`, user `Token: <token>`, envelopes
// {code, data, success:true} / {code, error, success:false}.
import type { NextFunction, Request, Response } from 'express';
import type { SimContext } from '../context.js';
import { SimError } from '../context.js';
import type { WuzUser } from '../state/store.js';

export const ok = (res: Response, status: number, data: unknown) => res.status(status).json({ code: status, data, success: true });
export const fail = (status: number, error: string) => new SimError(status, error);

export function adminAuth(ctx: SimContext) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.get('authorization') !== ctx.opts.adminToken) {
      res.status(401).json({ code: 401, error: 'unauthorized', success: false });
      return;
    }
    next();
  };
}

export function userAuth(ctx: SimContext) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const token = req.get('token') ?? (typeof req.query.token === 'string' ? req.query.token : '');
    const user = token ? ctx.store.wuzByToken(token) : undefined;
    if (!user) {
      res.status(401).json({ code: 401, error: 'unauthorized', success: false });
      return;
    }
    res.locals.user = user;
    next();
  };
}

export const userOf = (res: Response): WuzUser => res.locals.user as WuzUser;

export function wuzErrors(ctx: SimContext) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (err instanceof SimError) {
      res.status(err.status).json({ code: err.status, error: err.message, success: false, ...err.extra });
      return;
    }
    if ((err as { type?: string }).type === 'entity.parse.failed') {
      res.status(400).json({ code: 400, error: 'could not decode Payload', success: false });
      return;
    }
    ctx.log.error({ err, path: req.path }, 'wuzapi route failed');
    res.status(500).json({ code: 500, error: 'internal error', success: false });
  };
}

/** Connected and logged in, or WuzAPI's own 500s. */
export function requireLoggedIn(u: WuzUser): void {
  if (!u.connected) throw fail(500, 'no session');
  if (!u.loggedIn) throw fail(500, 'not logged in');
}
