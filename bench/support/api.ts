/** Small JSON calls for benchmarks (setup only; the measured traffic uses autocannon). */
export async function call<T = any>(base: string, method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(base + path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export async function login(base: string, email = 'alice@demo.test', password = 'demo-password'): Promise<string> {
  const r = await call<{ accessToken: string }>(base, 'POST', '/api/auth/login', { body: { email, password } });
  if (r.status !== 200) throw new Error(`login failed: ${r.status}`);
  return r.body.accessToken;
}

export async function until<T>(what: string, ms: number, check: () => Promise<T | undefined | null | false>): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await check();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out: ${what}`);
}

/** A connected WAHA device on the gateway's built-in simulator; returns its id, session and HMAC key. */
export async function connectedDevice(gw: { url: string; simUrl: string }, token: string, pg: { first(sql: string, args: unknown[]): Promise<any> }) {
  const d = (await call<{ id: string; engineSession: string }>(gw.url, 'POST', '/api/devices', { token, body: { name: 'Bench phone', engine: 'waha' } })).body;
  await until('qr', 15_000, async () => (await call(gw.url, 'GET', `/api/devices/${d.id}/qr`, { token })).body?.qr);
  // Paired, as a number in use is (a number left at its QR re-announces it every 20 s).
  await call(gw.simUrl, 'POST', `/_sim/sessions/${d.engineSession}/scan`, { body: {} });
  await until('connected', 15_000, async () => (await call(gw.url, 'GET', `/api/devices/${d.id}`, { token })).body?.status === 'connected');
  return { ...d, secret: (await pg.first('SELECT webhook_secret FROM devices WHERE id = $1', [d.id])).webhook_secret as string };
}
