import type { BaseQueryFn } from '@reduxjs/toolkit/query';
import { freshToken, getSession, refreshSession } from './session';
import type { Schema } from './schemas';

/** The one error shape of the API (`{error: …}`). */
export type ApiErrorBody = Schema<'Error'>['error'];
export interface HttpError {
  status: number;
  data: ApiErrorBody;
}

export interface RequestArgs {
  url: string;
  method?: string;
  body?: unknown;
  params?: Record<string, string | number | boolean | undefined | null>;
}

export function withParams(url: string, params?: RequestArgs['params']): string {
  if (!params) return url;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '' && v !== false) q.set(k, String(v));
  const s = q.toString();
  return s ? `${url}${url.includes('?') ? '&' : '?'}${s}` : url;
}

/** fetch with the bearer token; a 401 renews the session once and tries again. */
export async function authFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const go = (token: string | null) => {
    const headers = new Headers(init.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    return fetch(url, { ...init, headers });
  };
  const res = await go(await freshToken());
  if (res.status !== 401 || !getSession()) return res;
  const renewed = await refreshSession().catch(() => null);
  return renewed ? go(renewed.accessToken) : res;
}

async function errorOf(res: Response): Promise<HttpError> {
  const data = (await res.json().catch(() => null)) as { error?: ApiErrorBody } | null;
  return { status: res.status, data: data?.error ?? { code: `http_${res.status}`, message: res.statusText || `HTTP ${res.status}` } };
}

/** The one base query of the app's API: JSON (or FormData) in, JSON out, errors in the project's shape. */
export const httpBaseQuery: BaseQueryFn<RequestArgs | string, unknown, HttpError> = async (arg, { signal }) => {
  const a = typeof arg === 'string' ? { url: arg } : arg;
  const form = typeof FormData !== 'undefined' && a.body instanceof FormData;
  const headers: Record<string, string> = {};
  if (a.body !== undefined && !form) headers['content-type'] = 'application/json';
  try {
    const res = await authFetch(withParams(a.url, a.params), {
      method: a.method ?? 'GET',
      headers,
      body: a.body === undefined ? undefined : form ? (a.body as FormData) : JSON.stringify(a.body),
      signal,
    });
    if (!res.ok) return { error: await errorOf(res) };
    if (res.status === 204) return { data: null };
    const text = await res.text();
    return { data: text ? JSON.parse(text) : null };
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') return { error: { status: 0, data: { code: 'aborted', message: 'Cancelled' } } };
    return { error: { status: 0, data: { code: 'network', message: 'The server cannot be reached.' } } };
  }
};

/** A readable sentence for any error an endpoint or a fetch gave. */
export function errorMessage(e: unknown): string {
  if (!e) return '';
  const err = e as Partial<HttpError> & { message?: string };
  if (err.data && typeof err.data === 'object' && 'message' in err.data) {
    const d = err.data as ApiErrorBody;
    const details = Array.isArray(d.details) ? (d.details as { field?: string; message?: string }[]).map((x) => [x.field, x.message].filter(Boolean).join(': ')).join('; ') : '';
    return details ? `${d.message} (${details})` : d.message;
  }
  return err.message ?? 'Something went wrong.';
}
