/**
 * The app's one WebSocket. It authenticates with the access token as a subprotocol, resumes from the
 * last `seq` it saw after every reconnect, and hands each event to the cache entries that listen
 * (their `onCacheEntryAdded`). Its state is shown in the UI.
 */
import { useSyncExternalStore } from 'react';
import { freshToken, refreshSession } from './session';
import type { RealtimeEvent, Schema } from './schemas';

export type { RealtimeEvent };
/** Frames without a seq: the server's answers on the socket itself (ready, pong, error). */
type ControlFrame = Schema<'RealtimeControl'> & { seq?: undefined };
export type ConnectionState = 'offline' | 'connecting' | 'online' | 'reconnecting';
type Listener = (e: RealtimeEvent) => void;

const AUTH_CLOSE_CODES = new Set([1008, 4001, 4401, 4403]);

export class Realtime {
  state: ConnectionState = 'offline';
  lastSeq: number | null = null;
  private ws: WebSocket | null = null;
  private listeners = new Set<Listener>();
  private stateListeners = new Set<() => void>();
  private retries = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;

  constructor(private readonly url: () => string = defaultUrl) {}

  subscribe(l: Listener) {
    this.listeners.add(l);
    return () => void this.listeners.delete(l);
  }
  onState = (l: () => void) => {
    this.stateListeners.add(l);
    return () => void this.stateListeners.delete(l);
  };
  getState = () => this.state;

  start() {
    if (this.running) return;
    this.running = true;
    void this.connect();
  }

  stop() {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000, 'signed out');
    this.lastSeq = null;
    this.retries = 0;
    this.set('offline');
  }

  /** Reconnect now (the browser came back online, or the user asked). */
  kick() {
    if (!this.running || this.ws) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    void this.connect();
  }

  private set(s: ConnectionState) {
    if (this.state === s) return;
    this.state = s;
    this.stateListeners.forEach((l) => l());
  }

  private async connect() {
    this.set(this.retries ? 'reconnecting' : 'connecting');
    const token = await freshToken().catch(() => null);
    if (!this.running) return;
    if (!token) return this.retry();
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url(), ['bearer', token]);
    } catch {
      return this.retry();
    }
    this.ws = ws;
    ws.onopen = () => {
      this.retries = 0;
      this.set('online');
    };
    ws.onmessage = (m) => {
      let e: RealtimeEvent | ControlFrame;
      try {
        e = JSON.parse(String(m.data));
      } catch {
        return;
      }
      if (e.type === 'ready') {
        // Authenticated. What happened while we were away comes first (the server answers "resync"
        // when that is too much); a first connection starts from the server's present.
        const at = e.data.seq;
        if (this.lastSeq === null) this.lastSeq = at;
        ws.send(JSON.stringify({ type: 'resume', since: this.lastSeq }));
        return;
      }
      if (typeof e.seq !== 'number') return; // pong, error
      if (this.lastSeq !== null && e.seq <= this.lastSeq && e.type !== 'resync') return; // already seen
      this.lastSeq = e.seq;
      const event = e;
      this.listeners.forEach((l) => l(event));
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (!this.running) return;
      if (AUTH_CLOSE_CODES.has(ev.code)) void refreshSession().catch(() => null);
      this.retry();
    };
  }

  private retry() {
    if (!this.running) return;
    this.set('reconnecting');
    const delay = Math.min(10_000, 500 * 2 ** this.retries) * (0.75 + Math.random() / 2);
    this.retries++;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, delay);
  }
}

function defaultUrl() {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

export const realtime = new Realtime();

if (typeof window !== 'undefined') window.addEventListener('online', () => realtime.kick());

export const useConnectionState = () => useSyncExternalStore(realtime.onState, realtime.getState, realtime.getState);

/**
 * For an endpoint's onCacheEntryAdded: once its data is loaded, feed it every event until the entry
 * is dropped.
 */
export async function listenWhileCached(
  lifecycle: { cacheDataLoaded: Promise<unknown>; cacheEntryRemoved: Promise<unknown> },
  onEvent: Listener,
): Promise<void> {
  try {
    await lifecycle.cacheDataLoaded;
  } catch {
    return; // the entry went away before its data arrived
  }
  const off = realtime.subscribe(onEvent);
  await lifecycle.cacheEntryRemoved;
  off();
}
