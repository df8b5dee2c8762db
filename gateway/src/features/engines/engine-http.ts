// The one HTTP client every engine call goes through: a deadline on every call, retries with
// exponential backoff only for idempotent calls, and engine failures turned into the API's three errors.
// Also the small defensive readers both adapters use (engines change shapes between versions).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Agent, request, type Dispatcher } from 'undici';
import type { Logger } from 'pino';
import { engineRejected, engineTimeout, engineUnreachable } from './engine-errors.js';

export type Obj = Record<string, unknown>;
export const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
export const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
export const num = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
};
export const bool = (v: unknown): boolean => v === true || v === 'true';

// Engines' times outside these bounds are poison (1e308, 2^53), not news: read as unknown.
const MIN_TIME = Date.UTC(2009, 0, 1); // before WhatsApp
const MAX_AHEAD_MS = 366 * 24 * 3600 * 1000;

/** Seconds (or milliseconds, or an ISO/RFC 3339 string) → Date; null when unreadable or absurd. */
export function dateOf(v: unknown): Date | null {
  const n = num(v);
  let t = NaN;
  if (n !== null && n > 0) t = n > 1e12 ? n : n * 1000;
  else if (typeof v === 'string' && v) t = Date.parse(v);
  return Number.isFinite(t) && t >= MIN_TIME && t <= Date.now() + MAX_AHEAD_MS ? new Date(t) : null;
}

/** Timing-safe check of a hex HMAC over the exact bytes; false on any malformed signature. */
export function hexHmacMatches(algorithm: 'sha256' | 'sha512', key: string, body: Buffer, given: string): boolean {
  const expected = createHmac(algorithm, key).update(body).digest();
  const sig = given.trim().toLowerCase();
  if (!/^[0-9a-f]+$/.test(sig) || sig.length !== expected.length * 2) return false;
  return timingSafeEqual(Buffer.from(sig, 'hex'), expected);
}

/** A header's single value (lower-case name). */
export function headerOf(headers: Record<string, string | string[] | undefined>, name: string): string | null {
  const v = headers[name] ?? headers[name.toLowerCase()];
  return str(Array.isArray(v) ? v[0] : v);
}

/** The engine's own words from an error body: WAHA `message` (string or list) / `error`, WuzAPI `error`. */
export function engineMessageOf(data: unknown, status: number): string {
  if (typeof data === 'string') return data.trim().slice(0, 300) || `HTTP ${status}`;
  const o = obj(data);
  for (const key of ['message', 'error', 'details', 'Details']) {
    const v = o[key];
    if (typeof v === 'string' && v.trim()) return v.trim().slice(0, 300);
    if (Array.isArray(v) && v.length) return v.map(String).join('; ').slice(0, 300);
    if (isObj(v) && typeof v.message === 'string') return v.message.slice(0, 300);
  }
  return `HTTP ${status}`;
}

export interface EngineRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  baseUrl: string;
  path: string;
  query?: Record<string, string | number | boolean | null | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** GET is always idempotent; other calls only when marked (never a send). */
  idempotent?: boolean;
  /** Non-2xx statuses answered instead of thrown (e.g. 404 on delete = already gone). */
  accept?: number[];
}

export interface EngineResponse {
  status: number;
  data: unknown;
}

/** Test hook: sees every attempt (method, full URL, body) before it is sent. */
export type EngineRequestHook = (r: { engine: string; method: string; url: string; body: unknown; attempt: number }) => void;
const hooks = new Set<EngineRequestHook>();
export function onEngineRequest(hook: EngineRequestHook): () => void {
  hooks.add(hook);
  return () => hooks.delete(hook);
}

export interface EngineHttpOptions {
  /** Display name in errors ("WAHA", "WuzAPI"). */
  engine: string;
  timeoutMs: number;
  retries: number;
  /** First backoff delay; doubles each retry (default 100 ms). */
  retryBaseMs?: number;
  logger?: Logger;
}

type Failure = { kind: 'timeout' } | { kind: 'unreachable'; cause: string } | { kind: 'status'; status: number; data: unknown };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RETRY_STATUSES = new Set([429, 502, 503, 504]);

/** One keep-alive connection pool for every engine call of the process (undici: far less work per call than node:http). */
const agent = new Agent({ keepAliveTimeout: 10_000, connections: 64 });

export class EngineHttp {
  constructor(private readonly o: EngineHttpOptions) {}

  async call(req: EngineRequest): Promise<EngineResponse> {
    const idempotent = req.method === 'GET' || req.idempotent === true;
    const attempts = idempotent ? 1 + Math.max(0, this.o.retries) : 1;
    const url = joinUrl(req.baseUrl, req.path, req.query);
    let last: Failure = { kind: 'unreachable', cause: 'no attempt' };
    for (let attempt = 1; attempt <= attempts; attempt++) {
      for (const h of hooks) h({ engine: this.o.engine, method: req.method, url, body: req.body, attempt });
      const r = await this.once(req, url);
      if (r.kind === 'ok') return { status: r.status, data: r.data };
      last = r;
      const retryable = last.kind !== 'status' || RETRY_STATUSES.has(last.status);
      if (!retryable || attempt === attempts) break;
      const delay = Math.min(2000, (this.o.retryBaseMs ?? 100) * 2 ** (attempt - 1)) * (0.75 + Math.random() / 2);
      this.o.logger?.warn({ engine: this.o.engine, method: req.method, path: req.path, attempt, failure: describe(last) }, 'engine call failed, retrying');
      await sleep(delay);
    }
    throw this.toError(last);
  }

  /** GET of binary content (media), at most `maxBytes`; same deadline, retries and errors as call(). */
  async download(req: { baseUrl: string; path: string; headers?: Record<string, string> }, maxBytes: number): Promise<{ data: Buffer; contentType: string | null }> {
    const url = joinUrl(req.baseUrl, req.path);
    let last: Failure = { kind: 'unreachable', cause: 'no attempt' };
    for (let attempt = 1; attempt <= 1 + Math.max(0, this.o.retries); attempt++) {
      for (const h of hooks) h({ engine: this.o.engine, method: 'GET', url, body: undefined, attempt });
      const r = await this.exchange('GET', url, undefined, req.headers ?? {}, maxBytes);
      if (r.kind === 'ok') {
        if (r.status >= 200 && r.status < 300) {
          const type = r.headers['content-type'];
          return { data: r.body, contentType: typeof type === 'string' ? type.split(';')[0]!.trim() : null };
        }
        last = { kind: 'status', status: r.status, data: parseBody(r.body.toString('utf8')) };
        if (!RETRY_STATUSES.has(r.status)) break;
      } else if (r.kind === 'too_large') {
        throw engineRejected(this.o.engine, 413, `media larger than ${maxBytes} bytes`);
      } else {
        last = r;
      }
      if (attempt <= this.o.retries) await sleep(Math.min(2000, (this.o.retryBaseMs ?? 100) * 2 ** (attempt - 1)));
    }
    throw this.toError(last);
  }

  private async once(req: EngineRequest, url: string): Promise<({ kind: 'ok'; status: number; data: unknown }) | Failure> {
    const headers = { accept: 'application/json', ...(req.body === undefined ? {} : { 'content-type': 'application/json' }), ...req.headers };
    const r = await this.exchange(req.method, url, req.body === undefined ? undefined : JSON.stringify(req.body), headers, Infinity);
    if (r.kind === 'too_large') return { kind: 'unreachable', cause: 'answer too large' };
    if (r.kind !== 'ok') return r;
    const data = parseBody(r.body.toString('utf8'));
    if ((r.status >= 200 && r.status < 300) || req.accept?.includes(r.status)) return { kind: 'ok', status: r.status, data };
    return { kind: 'status', status: r.status, data };
  }

  /** One HTTP exchange under the deadline: the status, headers and whole body (at most `maxBytes`), or why there is none. */
  private async exchange(
    method: Dispatcher.HttpMethod, url: string, body: string | undefined, headers: Record<string, string>, maxBytes: number,
  ): Promise<{ kind: 'ok'; status: number; headers: Dispatcher.ResponseData['headers']; body: Buffer } | { kind: 'too_large' } | Exclude<Failure, { kind: 'status' }>> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.o.timeoutMs);
    try {
      const res = await request(url, { method, body, headers, dispatcher: agent, signal: deadline.signal });
      res.body.on('error', () => undefined); // a body given up on (too large) ends in an abort nobody waits for
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        res.body.destroy();
        return { kind: 'too_large' };
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > maxBytes) return { kind: 'too_large' }; // leaving the loop destroys the body
        chunks.push(chunk as Buffer);
      }
      return { kind: 'ok', status: res.statusCode, headers: res.headers, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) };
    } catch (e) {
      if (deadline.signal.aborted) return { kind: 'timeout' };
      const err = e as { code?: string; message?: string; cause?: { code?: string } };
      return { kind: 'unreachable', cause: err.code && !err.code.startsWith('UND_ERR') ? err.code : (err.cause?.code ?? err.code ?? err.message ?? 'network error') };
    } finally {
      clearTimeout(timer);
    }
  }

  private toError(f: Failure) {
    if (f.kind === 'timeout') return engineTimeout(this.o.engine, this.o.timeoutMs);
    if (f.kind === 'unreachable') return engineUnreachable(this.o.engine, f.cause);
    return engineRejected(this.o.engine, f.status, engineMessageOf(f.data, f.status));
  }
}

const describe = (f: Failure) => (f.kind === 'status' ? `HTTP ${f.status}` : f.kind === 'unreachable' ? f.cause : 'timeout');

function parseBody(text: unknown): unknown {
  if (typeof text !== 'string') return text ?? null;
  const t = text.trim();
  if (!t) return null;
  if (t[0] === '{' || t[0] === '[' || t[0] === '"') {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

function joinUrl(base: string, path: string, query?: EngineRequest['query']): string {
  const u = `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  if (!query) return u;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) q.set(k, String(v));
  const qs = q.toString();
  return qs ? `${u}?${qs}` : u;
}
