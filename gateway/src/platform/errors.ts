import type { ErrorRequestHandler, RequestHandler } from 'express';
import { isDatabaseUnavailable } from './db/outage.js';

/** The one error type routes and services throw; the handler turns it into the project's error shape. */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new AppError('not_found', 404, `${what} not found`);
export const forbidden = (message = 'You may not do this') => new AppError('forbidden', 403, message);
export const unauthorized = (message = 'Authentication required', code = 'unauthorized') =>
  new AppError(code, 401, message, undefined, { 'WWW-Authenticate': 'Bearer' });
export const conflict = (code: string, message: string, details?: unknown) => new AppError(code, 409, message, details);

export const unknownRoute: RequestHandler = (req, _res, next) =>
  next(new AppError('route_not_found', 404, `No route for ${req.method} ${req.path}`));

type BodyParserError = Error & { type?: string; status?: number; limit?: number };

/** Every error ends here. Unknown errors are 500 without stack or SQL; the log keeps them with the request id. */
export const errorHandler: ErrorRequestHandler = (err: unknown, req, res, _next) => {
  const e = toAppError(err);
  // A 5xx is logged once, by the request's completion line (platform/logger.ts), with this error on it.
  if (e.status >= 500) res.locals.error = err;
  else req.log?.info({ code: e.code, status: e.status }, e.message);
  if (res.headersSent) return res.end();
  if (e.headers) res.set(e.headers);
  const body: { code: string; message: string; details?: unknown } = { code: e.code, message: e.message };
  if (e.details !== undefined) body.details = e.details;
  res.status(e.status).json({ error: body });
};

/** Seconds a client is asked to wait when the database is unreachable. */
const OUTAGE_RETRY_AFTER_SECONDS = 5;

/** Any error as the AppError the client sees: ours as thrown, known client errors as 4xx, an outage as 503, the rest 500. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (isDatabaseUnavailable(err))
    return new AppError('database_unavailable', 503, 'The database is unreachable right now; try again shortly', undefined, { 'Retry-After': String(OUTAGE_RETRY_AFTER_SECONDS) });
  const b = err as BodyParserError;
  if (b?.type === 'entity.parse.failed') return new AppError('invalid_json', 400, 'The request body is not valid JSON');
  if (b?.type === 'entity.too.large')
    return new AppError('payload_too_large', 413, `The request body exceeds the limit of ${b.limit} bytes`);
  if (b?.type === 'encoding.unsupported' || b?.type === 'charset.unsupported')
    return new AppError('unsupported_encoding', 415, b.message);
  if (typeof b?.status === 'number' && b.status >= 400 && b.status < 500 && b.type)
    return new AppError('bad_request', b.status, b.message);
  // Any other client error raised by Express or a library (e.g. the router failing to decode a parameter).
  const status = typeof b?.status === 'number' ? b.status : (b as { statusCode?: unknown })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return new AppError('bad_request', status, b.message);
  return new AppError('internal', 500, 'Something went wrong on our side; the request id is in the X-Request-Id header');
}
