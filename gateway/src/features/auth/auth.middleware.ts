import type { RequestHandler } from 'express';
import { unauthorized } from '../../platform/errors.js';
import type { AuthService } from './auth.service.js';

/** Reads `Authorization: Bearer <jwt>` and puts the caller on req.user. */
export function authenticate(auth: AuthService): RequestHandler {
  return async (req, _res, next) => {
    const header = req.headers.authorization;
    const m = header && /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header);
    if (!m?.[1]) return next(unauthorized());
    try {
      req.user = await auth.authenticate(m[1]);
      next();
    } catch (e) {
      next(e);
    }
  };
}
