import type { RealtimeEvent, Schema } from '../api/schemas';
/**
 * The network, faked at its edges only: `fetch` answers from a route table and `WebSocket` is a
 * socket the test drives. Everything of ours (store, API, session, socket client) runs for real.
 */
type Handler = (req: { url: URL; method: string; body: unknown; headers: Headers; params: Record<string, string> }) => unknown;
interface Answer {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export class FakeApi {
  routes: { method: string; pattern: RegExp; keys: string[]; handler: Handler }[] = [];
  calls: { method: string; path: string; body: unknown; auth: string | null }[] = [];

  on(method: string, path: string, handler: Handler | unknown) {
    const keys: string[] = [];
    const pattern = new RegExp('^' + path.replace(/:(\w+)/g, (_m, k: string) => (keys.push(k), '([^/]+)')) + '$');
    this.routes.unshift({ method, pattern, keys, handler: typeof handler === 'function' ? (handler as Handler) : () => handler });
    return this;
  }

  called(method: string, path: string | RegExp) {
    return this.calls.filter((c) => c.method === method && (typeof path === 'string' ? c.path === path : path.test(c.path)));
  }

  fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url, 'http://localhost');
    const method = (init.method ?? 'GET').toUpperCase();
    const headers = new Headers(init.headers);
    let body: unknown = init.body;
    if (typeof init.body === 'string') {
      try {
        body = JSON.parse(init.body);
      } catch {
        /* text */
      }
    }
    this.calls.push({ method, path: url.pathname + url.search, body, auth: headers.get('authorization') });
    for (const r of this.routes) {
      const m = r.method === method && r.pattern.exec(url.pathname);
      if (!m) continue;
      const params = Object.fromEntries(r.keys.map((k, i) => [k, decodeURIComponent(m[i + 1]!)]));
      const out = await r.handler({ url, method, body, headers, params });
      const a: Answer = out && typeof out === 'object' && typeof (out as Answer).status === 'number' ? (out as Answer) : { body: out };
      const status = a.status ?? (a.body === undefined ? 204 : 200);
      if (a.body instanceof Blob) return new Response(a.body, { status, headers: a.headers });
      return new Response(status === 204 ? null : JSON.stringify(a.body ?? null), { status, headers: { 'content-type': 'application/json', ...a.headers } });
    }
    return new Response(JSON.stringify({ error: { code: 'not_found', message: `No fake for ${method} ${url.pathname}` } }), { status: 404 });
  };
}

export class FakeSocket {
  static all: FakeSocket[] = [];
  static last() {
    return FakeSocket.all[FakeSocket.all.length - 1]!;
  }
  readyState = 0;
  sent: unknown[] = [];
  onopen: ((e: Event) => void) | null = null;
  onmessage: ((e: MessageEvent) => void) | null = null;
  onclose: ((e: CloseEvent) => void) | null = null;
  onerror: ((e: Event) => void) | null = null;
  constructor(
    public url: string,
    public protocols?: string | string[],
  ) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000) {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code } as CloseEvent);
  }
  // test side
  open(seq = 0) {
    this.readyState = 1;
    this.onopen?.({} as Event);
    this.push({ type: 'ready', data: { userId: 'u', seq } });
  }
  /** A frame from the server: an event is type-checked against the API's RealtimeEvent union. */
  push(frame: RealtimeEvent | Schema<'RealtimeControl'>) {
    this.onmessage?.({ data: JSON.stringify(frame) } as MessageEvent);
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code } as CloseEvent);
  }
}
