import { randomUUID } from 'node:crypto';
import { pino, type Logger } from 'pino';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';

export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]', 'req.headers.token', '*.password', '*.refreshToken'],
      censor: '[redacted]',
    },
  });
}

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

declare module 'http' {
  interface IncomingMessage {
    /** This request's id (X-Request-Id), on every log line about it. */
    id?: string;
    /** A logger carrying `reqId`, made on first use. */
    log?: Logger;
  }
}

/** The id a proxy gave the request, when sane; otherwise a new one. The caller echoes it as X-Request-Id. */
export function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && SAFE_ID.test(incoming) ? incoming : randomUUID();
}

/** The one line logged per request: error level for a 5xx (with its error), info otherwise. */
export function logRequest(logger: Logger, reqId: string, method: string, url: string, status: number, ms: number, err?: unknown) {
  const level = status >= 500 ? 'error' : 'info';
  if (!logger.isLevelEnabled(level)) return; // at LOG_LEVEL=warn most requests build no line at all
  const line = { reqId, req: { method, url }, res: { statusCode: status }, responseTime: Math.round(ms) };
  if (level === 'error') logger.error({ ...line, err }, 'request failed');
  else logger.info(line, 'request completed');
}

/**
 * Request id and one completion line per request. `req.log` (a child logger with the id) is made
 * only when a handler logs something: most requests never do, and making one per request was a
 * noticeable share of a short request's time.
 */
export function requestLogger(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const reqId = requestIdOf(req);
    res.setHeader('X-Request-Id', reqId);
    req.id = reqId;
    let child: Logger | undefined;
    Object.defineProperty(req, 'log', { configurable: true, enumerable: false, get: () => (child ??= logger.child({ reqId })) });
    res.once('close', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (res.writableFinished) logRequest(logger, reqId, req.method, req.originalUrl, res.statusCode, ms, res.locals.error);
      else logger.warn({ reqId, req: { method: req.method, url: req.originalUrl }, responseTime: Math.round(ms) }, 'request aborted');
    });
    next();
  };
}
