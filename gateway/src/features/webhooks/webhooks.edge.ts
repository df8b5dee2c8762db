import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { AppError, toAppError } from '../../platform/errors.js';
import { logRequest, requestIdOf } from '../../platform/logger.js';
import type { WebhooksService } from './webhooks.service.js';

const PATH = /^\/webhooks\/([a-z]+)\/([^/?#]+)\/?(?:\?.*)?$/;
const ROUTE = '/webhooks/:engine/:deviceId';
/** The answer to nearly every delivery, encoded once. */
const STORED = JSON.stringify({ ok: true });

/**
 * The engines' callbacks, served before Express: they are the gateway's hottest path, and the
 * browser-facing middleware (routing tables, security headers, CORS, per-request logger objects)
 * costs more than the work itself. Same contract as the Express route: raw bytes, the project's
 * error shape, a request id, metrics, one log line per request.
 */
export function webhookEdge(opts: {
  webhooks: WebhooksService;
  logger: Logger;
  bodyLimit: string; // e.g. 64mb
  observe(method: string, route: string, status: number, seconds: number): void;
}) {
  const bodyLimitBytes = sizeInBytes(opts.bodyLimit);
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'POST' || !req.url) return false;
    const m = PATH.exec(req.url);
    if (!m) return false;
    const started = process.hrtime.bigint();
    const reqId = requestIdOf(req);
    const finish = (status: number, text: string, err?: unknown, extra: string[] = []) => {
      // Headers as a flat list: written as given, with no header map made for this response.
      res.writeHead(status, ['content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(text)), 'x-request-id', reqId, ...extra]);
      res.end(text);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      opts.observe('POST', ROUTE, status, ms / 1000);
      logRequest(opts.logger, reqId, 'POST', req.url!, status, ms, err);
    };
    const fail = (err: unknown) => {
      // A database outage is a 503 with Retry-After: the engine delivers again later.
      const e = toAppError(err);
      finish(e.status, JSON.stringify({ error: { code: e.code, message: e.message } }), e.status >= 500 ? err : undefined, Object.entries(e.headers ?? {}).flat());
    };

    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > bodyLimitBytes) tooLarge = true;
      else chunks.push(c);
    });
    req.on('error', fail);
    req.on('end', () => {
      if (tooLarge) return fail(new AppError('payload_too_large', 413, `The request body exceeds the limit of ${bodyLimitBytes} bytes`));
      // Only the rare warning needs the request id: no child logger per delivery.
      const log = { warn: (o: object, msg: string) => opts.logger.warn({ reqId, ...o }, msg) };
      let deviceId: string;
      try {
        deviceId = decodeURIComponent(m[2]!);
      } catch {
        return fail(new AppError('unknown_device', 404, 'No such device'));
      }
      opts.webhooks
        .receive(m[1]!, deviceId, { body: Buffer.concat(chunks, size), headers: req.headers }, log)
        .then(() => finish(200, STORED), fail);
    });
    return true;
  };
}

/** `512kb`, `64mb`, `100b` → bytes (the config schema allows only these forms). */
function sizeInBytes(v: string): number {
  const m = /^(\d+)(b|kb|mb)$/i.exec(v);
  if (!m) throw new Error(`not a size: ${v}`);
  return Number(m[1]) * { b: 1, kb: 1024, mb: 1024 * 1024 }[m[2]!.toLowerCase() as 'b' | 'kb' | 'mb'];
}
