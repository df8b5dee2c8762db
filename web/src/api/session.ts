/**
 * The signed-in session, shared by every tab: kept in localStorage, renewed through the refresh token
 * (one tab at a time, under a Web Lock, because a refresh token works once and a reused one revokes
 * its whole family), and ended in every open tab when one signs out.
 */
import { useSyncExternalStore } from 'react';
import type { Schema } from './schemas';

export type Role = Schema<'User'>['role'];
/** Who is signed in: the API's user, as much of it as the session keeps. */
export type User = Pick<Schema<'User'>, 'id' | 'email' | 'name' | 'role'> & Partial<Pick<Schema<'User'>, 'orgId'>>;
export interface Session {
  accessToken: string;
  refreshToken: string;
  /** ms since epoch when the access token stops working */
  expiresAt: number;
  user: User;
}
type SessionAnswer = Schema<'Session'>;

export class AuthError extends Error {
  constructor(
    public readonly code: string,
    message: string,
    public readonly status: number,
    public readonly retryAfter?: number,
  ) {
    super(message);
  }
}

const KEY = 'wa.session';
const listeners = new Set<() => void>();
const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel('wa.session');

function read(): Session | null {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Session | null;
    return s && s.accessToken && s.refreshToken && s.user ? s : null;
  } catch {
    return null;
  }
}

let current: Session | null = read();
const emit = () => listeners.forEach((l) => l());

function adopt(next: Session | null) {
  if (next?.refreshToken === current?.refreshToken && next?.accessToken === current?.accessToken) return;
  current = next;
  emit();
}

if (typeof window !== 'undefined') {
  // Another tab signed in, renewed or signed out.
  window.addEventListener('storage', (e) => {
    if (e.key === KEY || e.key === null) adopt(read());
  });
}
if (channel) channel.onmessage = (e: MessageEvent<{ type: string }>) => (e.data?.type === 'logout' ? adopt(null) : adopt(read()));

export const getSession = () => current;
export const subscribeSession = (l: () => void) => (listeners.add(l), () => void listeners.delete(l));
export const useSession = () => useSyncExternalStore(subscribeSession, getSession, getSession);

export function setSession(s: Session | null) {
  if (s) localStorage.setItem(KEY, JSON.stringify(s));
  else localStorage.removeItem(KEY);
  current = s;
  channel?.postMessage({ type: s ? 'session' : 'logout' });
  emit();
}

const toSession = (a: SessionAnswer): Session => ({
  accessToken: a.accessToken,
  refreshToken: a.refreshToken,
  expiresAt: Date.now() + (a.expiresIn ?? 900) * 1000,
  user: a.user,
});

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function failure(res: Response): Promise<AuthError> {
  const data = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
  const retry = Number(res.headers.get('retry-after')) || undefined;
  return new AuthError(data?.error?.code ?? `http_${res.status}`, data?.error?.message ?? res.statusText, res.status, retry);
}

export async function login(email: string, password: string): Promise<Session> {
  let res: Response;
  try {
    res = await post('/api/auth/login', { email, password });
  } catch {
    throw new AuthError('network', 'The server cannot be reached. Check your connection and try again.', 0);
  }
  if (!res.ok) throw await failure(res);
  const s = toSession((await res.json()) as SessionAnswer);
  setSession(s);
  return s;
}

let inflight: Promise<Session | null> | null = null;

/** Renews the access token; resolves null (and signs out) when the refresh token is no longer valid. */
export function refreshSession(): Promise<Session | null> {
  inflight ??= withLock(async () => {
    const stale = current;
    const stored = read();
    // Another tab renewed while we waited for the lock: use its tokens rather than spend ours twice.
    if (stored && stale && stored.refreshToken !== stale.refreshToken) {
      adopt(stored);
      return stored;
    }
    const base = stored ?? stale;
    if (!base) return null;
    const res = await post('/api/auth/refresh', { refreshToken: base.refreshToken });
    if (res.status === 401 || res.status === 400) {
      setSession(null);
      return null;
    }
    if (!res.ok) throw await failure(res);
    const s = toSession((await res.json()) as SessionAnswer);
    setSession(s);
    return s;
  }).finally(() => {
    inflight = null;
  });
  return inflight;
}

function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== 'undefined' ? (navigator as Navigator & { locks?: LockManager }).locks : undefined;
  return locks ? (locks.request('wa.session.refresh', fn) as Promise<T>) : fn();
}

/** A token that is valid for at least the next 20 s, renewing first if needed. */
export async function freshToken(): Promise<string | null> {
  const s = current;
  if (!s) return null;
  if (s.expiresAt - Date.now() > 20_000) return s.accessToken;
  return (await refreshSession())?.accessToken ?? null;
}

/** Ends this session (or every session of the person), here and in every other open tab. */
export async function logout(everywhere = false): Promise<void> {
  const s = current;
  setSession(null);
  if (s) await post('/api/auth/logout', { refreshToken: s.refreshToken, everywhere }).catch(() => undefined);
}
