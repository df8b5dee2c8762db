// The one HTTP client every engine call goes through (axios on keep-alive agents): a deadline on every
// attempt, retries with exponential backoff (axios-retry) only for idempotent calls, and engine
// failures turned into the API's three errors.
// Also the small defensive readers both adapters use (engines change shapes between versions).
import { createHmac, timingSafeEqual } from 'node:crypto';
import axios, { AxiosError, isAxiosError, type AxiosAdapter, type AxiosHeaders, type AxiosInstance, type AxiosRequestConfig, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { Agent, request, type Dispatcher } from 'undici';
import axiosRetry from 'axios-retry';
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

const RETRY_STATUSES = new Set([429, 502, 503, 504]);

/**
 * One keep-alive connection pool for every engine call of the process, created once, never per call.
 * axios carries each call (config, interceptors, axios-retry, errors); its transport is this undici
 * Agent: axios' own node:http adapter cost about 2.5× more per call (measured against a local
 * server, same keep-alive), which the send path would feel.
 */
const agent = new Agent({ keepAliveTimeout: 10_000, connections: 64 });

/** axios adapter over the keep-alive Agent: the request as axios built it, the answer settled as axios does. */
const undiciAdapter: AxiosAdapter = async (config) => {
  let res: Dispatcher.ResponseData;
  try {
    res = await request(config.url!, {
      method: String(config.method).toUpperCase() as Dispatcher.HttpMethod,
      body: config.data as string | undefined,
      headers: (config.headers as AxiosHeaders).toJSON() as Record<string, string>,
      dispatcher: agent,
      signal: config.signal as AbortSignal | undefined,
    });
  } catch (e) {
    const err = e as { code?: string; message?: string; cause?: { code?: string } };
    const code = err.code && !err.code.startsWith('UND_ERR') ? err.code : (err.cause?.code ?? err.code);
    throw new AxiosError(err.message ?? 'network error', code, config, null);
  }
  res.body.on('error', () => undefined); // a body given up on (too large) ends in an abort nobody waits for
  const max = config.maxContentLength !== undefined && config.maxContentLength >= 0 ? config.maxContentLength : Infinity;
  const tooLarge = () => new AxiosError(`maxContentLength size of ${max} exceeded`, AxiosError.ERR_BAD_RESPONSE, config, null);
  if (Number(res.headers['content-length']) > max) {
    res.body.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > max) throw tooLarge(); // leaving the loop destroys the body
      chunks.push(chunk as Buffer);
    }
  } catch (e) {
    if (e instanceof AxiosError) throw e;
    throw new AxiosError((e as Error).message, (e as { code?: string }).code, config, null);
  }
  const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  const response: AxiosResponse = {
    data: config.responseType === 'arraybuffer' ? body : body.toString('utf8'),
    status: res.statusCode,
    statusText: '',
    headers: res.headers as AxiosResponse['headers'],
    config,
    request: null,
  };
  if (config.validateStatus && !config.validateStatus(res.statusCode)) {
    throw new AxiosError(`Request failed with status code ${res.statusCode}`, AxiosError.ERR_BAD_RESPONSE, config, null, response);
  }
  return response;
};

/** Per-call settings axios-retry and our interceptors read back from the request config. */
interface CallMeta {
  idempotent: boolean;
  accept: readonly number[];
  /** Media downloads: at most this many bytes. */
  maxBytes?: number;
}
type CallConfig = InternalAxiosRequestConfig & { meta?: CallMeta; 'axios-retry'?: { retryCount?: number } };
type CallRequest = AxiosRequestConfig & { meta: CallMeta };

/**
 * The engine HTTP client (axios): a deadline on every attempt, retries with exponential backoff
 * (axios-retry) only for idempotent calls that failed on the network, timed out or got 429/502/503/504,
 * and engine failures turned into the API's three errors.
 */
export class EngineHttp {
  private readonly client: AxiosInstance;

  constructor(private readonly o: EngineHttpOptions) {
    this.client = axios.create({
      adapter: undiciAdapter,
      // Bodies are read as they are (engines answer JSON, text or nothing) and parsed defensively.
      transformResponse: [(d: unknown) => d],
      maxBodyLength: Infinity,
    });
    const base = this.o.retryBaseMs ?? 100;
    axiosRetry(this.client, {
      retries: Math.max(0, this.o.retries),
      retryCondition: (err) => {
        const meta = (err.config as CallConfig | undefined)?.meta;
        if (!meta?.idempotent || isTooLarge(err)) return false;
        const f = failureOf(err);
        return f.kind !== 'status' || RETRY_STATUSES.has(f.status);
      },
      retryDelay: (count) => Math.min(2000, base * 2 ** (count - 1)) * (0.75 + Math.random() / 2),
      // Each attempt has its own deadline (the last one's signal has fired).
      onRetry: (count, err, config) => {
        config.signal = AbortSignal.timeout(this.o.timeoutMs);
        this.o.logger?.warn({ engine: this.o.engine, method: config.method?.toUpperCase(), url: config.url, attempt: count, failure: describe(failureOf(err)) }, 'engine call failed, retrying');
      },
    });
    // The test hook sees every attempt (retries included), as sent.
    this.client.interceptors.request.use((config: CallConfig) => {
      if (hooks.size) {
        const attempt = (config['axios-retry']?.retryCount ?? 0) + 1;
        const body = typeof config.data === 'string' && config.headers['Content-Type'] === 'application/json' ? JSON.parse(config.data) : undefined;
        for (const h of hooks) h({ engine: this.o.engine, method: String(config.method).toUpperCase(), url: config.url!, body, attempt });
      }
      return config;
    });
  }

  async call(req: EngineRequest): Promise<EngineResponse> {
    const meta: CallMeta = { idempotent: req.method === 'GET' || req.idempotent === true, accept: req.accept ?? [] };
    const headers: Record<string, string> = { Accept: 'application/json', ...req.headers };
    if (req.body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      const res = await this.client.request({
        method: req.method,
        url: joinUrl(req.baseUrl, req.path, req.query),
        headers,
        data: req.body === undefined ? undefined : JSON.stringify(req.body),
        responseType: 'text',
        signal: AbortSignal.timeout(this.o.timeoutMs),
        validateStatus: (st) => (st >= 200 && st < 300) || meta.accept.includes(st),
        meta,
      } as CallRequest);
      return { status: res.status, data: parseBody(res.data) };
    } catch (err) {
      throw this.toError(failureOf(err));
    }
  }

  /** GET of binary content (media), at most `maxBytes`; same deadline, retries and errors as call(). */
  async download(req: { baseUrl: string; path: string; headers?: Record<string, string> }, maxBytes: number): Promise<{ data: Buffer; contentType: string | null }> {
    try {
      const res = await this.client.request({
        method: 'GET',
        url: joinUrl(req.baseUrl, req.path),
        headers: req.headers ?? {},
        responseType: 'arraybuffer',
        maxContentLength: Number.isFinite(maxBytes) ? maxBytes : -1,
        signal: AbortSignal.timeout(this.o.timeoutMs),
        validateStatus: (st) => st >= 200 && st < 300,
        meta: { idempotent: true, accept: [], maxBytes },
      } as CallRequest);
      const type = res.headers['content-type'];
      return { data: Buffer.isBuffer(res.data) ? res.data : Buffer.from(res.data as ArrayBuffer), contentType: typeof type === 'string' ? type.split(';')[0]!.trim() : null };
    } catch (err) {
      if (isTooLarge(err)) throw engineRejected(this.o.engine, 413, `media larger than ${maxBytes} bytes`);
      const f = failureOf(err);
      if (f.kind === 'status' && f.data instanceof ArrayBuffer) f.data = parseBody(Buffer.from(f.data).toString('utf8'));
      throw this.toError(f);
    }
  }

  private toError(f: Failure) {
    if (f.kind === 'timeout') return engineTimeout(this.o.engine, this.o.timeoutMs);
    if (f.kind === 'unreachable') return engineUnreachable(this.o.engine, f.cause);
    return engineRejected(this.o.engine, f.status, engineMessageOf(f.data, f.status));
  }
}

/** What went wrong with an attempt: an answer we do not accept, the deadline, or no answer at all. */
function failureOf(err: unknown): Failure {
  if (!isAxiosError(err)) return { kind: 'unreachable', cause: (err as Error)?.message ?? 'network error' };
  if (err.response) return { kind: 'status', status: err.response.status, data: typeof err.response.data === 'string' ? parseBody(err.response.data) : err.response.data };
  // Our deadline aborts the request (the only abort we make).
  if ((err.config?.signal as AbortSignal | undefined)?.aborted || err.code === 'ERR_CANCELED' || err.code === 'ETIMEDOUT') return { kind: 'timeout' };
  const cause = (err.cause as { code?: string } | undefined)?.code;
  return { kind: 'unreachable', cause: err.code && !err.code.startsWith('ERR_') ? err.code : (cause ?? err.code ?? err.message ?? 'network error') };
}

const isTooLarge = (err: unknown) => isAxiosError(err) && /maxContentLength/i.test(err.message);

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
