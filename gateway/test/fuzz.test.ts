import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineEnv, type EngineEnv } from './support/engine-env.js';
import { makeUser } from './support/factories.js';

// Generated bad input over every operation of /api/openapi.json, as admin, viewer and anonymous, plus
// signed webhooks: the server never answers 5xx, and every 4xx is in the error shape. Deterministic
// (one seed), bounded (REQUESTS), a few in parallel.
const SEED = 20261203;
const REQUESTS = 5_200;
const PARALLEL = 8;

let env: EngineEnv;
let tokens: Record<'admin' | 'viewer' | 'anonymous', string | undefined>;
let ops: { method: string; path: string; params: string[]; query: string[]; body: Record<string, unknown> | undefined }[];
let device: { id: string; secret: string };
let wuzapiDevice: { id: string; secret: string };

beforeAll(async () => {
  env = await startEngineEnv();
  const admin = await makeUser(env.t.db, env.org.id, 'admin');
  const viewer = await makeUser(env.t.db, env.org.id, 'viewer');
  tokens = { admin: await env.login(admin.email), viewer: await env.login(viewer.email), anonymous: undefined };
  const d = (await env.http.post('/api/devices', { token: env.owner.token, body: { name: 'Fuzzed', engine: 'waha' } })).body;
  device = { id: d.id, secret: (await env.t.db('devices').where({ id: d.id }).first()).webhook_secret };
  const w = (await env.http.post('/api/devices', { token: env.owner.token, body: { name: 'Fuzzed W', engine: 'wuzapi' } })).body;
  wuzapiDevice = { id: w.id, secret: (await env.t.db('devices').where({ id: w.id }).first()).webhook_secret };
  const doc = (await env.http.get('/api/openapi.json')).body as { paths: Record<string, Record<string, any>> };
  ops = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = (op.parameters ?? []) as { in: string; name: string }[];
      ops.push({
        method: method.toUpperCase(),
        path,
        params: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: params.filter((p) => p.in === 'query').map((p) => p.name),
        body: op.requestBody?.content?.['application/json']?.schema?.properties,
      });
    }
  }
}, 120_000);
afterAll(() => env?.close());

/** mulberry32: small, fast, deterministic. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}

/** Path and query parts, already encoded: bad escapes, NUL, an encoded lone surrogate, huge, odd numbers. */
const URL_PARTS = ['%ZZ', '%', '%E0%A4', '%00', 'a%00b', '%ED%A0%80', 'x'.repeat(5000), '-1', '0', '1e309', '9999999999999999999999', 'null', '..%2F..', '%2F', '%20', '1', 'abc'];

function urlPart(r: ReturnType<typeof prng>, keepDevice = false) {
  const x = r.int(10);
  if (x < 2) return randomUUID();
  // The webhooks' device is never deleted: signed deliveries to it must keep being 2xx.
  if (x < 3) return keepDevice ? randomUUID() : device.id;
  if (x < 4) return String(r.int(1000));
  return r.pick(URL_PARTS);
}

/** JSON text of a value that is wrong in some way: types, NUL, lone surrogates, huge, deep. */
function badJsonValue(r: ReturnType<typeof prng>, depth = 0): string {
  switch (r.int(14)) {
    case 0: return '"\\u0000"';
    case 1: return '"a\\ud800b"';
    case 2: return '"\\udfff"';
    case 3: return JSON.stringify('x'.repeat(r.pick([300, 70_000, 900_000])));
    case 4: return '['.repeat(2000) + ']'.repeat(2000);
    case 5: return r.pick(['1e308', '-1', '0', '3.5', '-9007199254740993', '1e-400']);
    case 6: return r.pick(['true', 'false', 'null']);
    case 7: return depth < 3 ? `{"${r.pick(['a', '\\u0000', '__proto__', 'constructor'])}":${badJsonValue(r, depth + 1)}}` : '{}';
    case 8: return depth < 3 ? `[${badJsonValue(r, depth + 1)},${badJsonValue(r, depth + 1)}]` : '[]';
    case 9: return JSON.stringify(randomUUID());
    case 10: return JSON.stringify(r.pick(['admin', 'viewer', 'waha', 'wuzapi', 'skip-invalid', '+4915112345678', 'a@b.test', '2026-01-01T00:00:00Z']));
    case 11: return JSON.stringify(r.pick(['', ' ', '\t', 'é', '😀', '<script>']));
    case 12: return String(r.int(100));
    default: return '"ok"';
  }
}

function body(r: ReturnType<typeof prng>, props: Record<string, unknown> | undefined): { text?: string; type?: string } {
  const x = r.int(12);
  if (x === 0) return {};
  if (x === 1) return { text: '{"a":', type: 'application/json' };
  if (x === 2) return { text: 'name=%00&phone=1', type: 'application/x-www-form-urlencoded' };
  if (x === 3) return { text: '--b\r\nContent-Disposition: form-data; name="text"\r\n\r\nhi\u0000\r\n--b--\r\n', type: 'multipart/form-data; boundary=b' };
  if (x === 4) return { text: 'garbage', type: r.pick(['text/plain', 'text/csv', 'application/xml', 'multipart/form-data']) };
  if (x === 5) return { text: badJsonValue(r), type: 'application/json' };
  const keys = Object.keys(props ?? {});
  const fields = keys.filter(() => r.next() < 0.8).map((k) => `${JSON.stringify(k)}:${badJsonValue(r)}`);
  if (r.next() < 0.2) fields.push(`"${r.pick(['extra', '\\u0000', '\\ud800'])}":${badJsonValue(r)}`);
  return { text: `{${fields.join(',')}}`, type: 'application/json' };
}

function request(r: ReturnType<typeof prng>): { method: string; path: string; op?: string; headers: Record<string, string>; body?: string; webhook?: boolean } {
  if (r.int(12) === 0) {
    // A signed webhook with a random payload: signed deliveries are always answered 2xx.
    const engine = r.next() < 0.5 ? 'waha' : 'wuzapi';
    const target = engine === 'waha' ? device : wuzapiDevice;
    const text = r.next() < 0.5 ? `{"event":"message","session":"x","payload":${badJsonValue(r)},"me":${badJsonValue(r)}}` : `{"type":"Message","event":${badJsonValue(r)}}`;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (engine === 'waha') Object.assign(headers, { 'x-webhook-hmac': createHmac('sha512', target.secret).update(text).digest('hex'), 'x-webhook-hmac-algorithm': 'sha512' });
    else headers['x-hmac-signature'] = createHmac('sha256', target.secret).update(text).digest('hex');
    return { method: 'POST', path: `/webhooks/${engine}/${target.id}`, headers, body: text, webhook: true };
  }
  const op = r.pick(ops);
  let path = op.path;
  for (const p of op.params) path = path.replace(`{${p}}`, urlPart(r, op.method === 'DELETE'));
  const q = op.query.filter(() => r.next() < 0.6).map((k) => `${k}=${urlPart(r)}`);
  if (r.next() < 0.1) q.push(r.pick(['%00=1', 'a[b]=1', 'q=1&q=2', '%ZZ']));
  if (q.length) path += `?${q.join('&')}`;
  const who = r.pick(['admin', 'viewer', 'anonymous'] as const);
  const headers: Record<string, string> = {};
  if (tokens[who]) headers.authorization = `Bearer ${tokens[who]}`;
  if (r.int(20) === 0) headers['x-device-id'] = urlPart(r);
  const b = op.method === 'GET' ? (r.int(10) === 0 ? body(r, op.body) : {}) : body(r, op.body);
  if (b.type) headers['content-type'] = b.type;
  return { method: op.method, path, op: `${op.method} ${op.path}`, headers, body: op.method === 'GET' ? undefined : b.text };
}

describe('fuzzing every operation', () => {
  it(`when ${REQUESTS} generated requests of bad input hit every operation, then none is answered 5xx and every 4xx is in the error shape`, async () => {
    const r = prng(SEED);
    const plan = Array.from({ length: REQUESTS }, () => request(r));
    // Every operation of the document gets requests.
    const covered = new Set(plan.flatMap((p) => (p.op ? [p.op] : [])));
    expect(covered.size).toBe(ops.length);
    const problems: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      while (next < plan.length) {
        const p = plan[next++]!;
        let status = 0;
        let text = '';
        try {
          const res = await fetch(env.t.url + p.path, { method: p.method, headers: p.headers, body: p.body, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
          status = res.status;
          text = await res.text();
        } catch (e) {
          problems.push(`${p.method} ${p.path.slice(0, 120)}: ${(e as Error).message}`);
          continue;
        }
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        const where = `${p.method} ${p.path.slice(0, 120)} ${(p.body ?? '').slice(0, 120)} → ${status} ${text.slice(0, 200)}`;
        if (status >= 500) problems.push(where);
        else if (p.webhook && status !== 200) problems.push(`signed webhook not 2xx: ${where}`);
        else if (status >= 400 && p.path.startsWith('/api')) {
          let shaped = false;
          try {
            const j = JSON.parse(text);
            shaped = typeof j?.error?.code === 'string' && typeof j?.error?.message === 'string';
          } catch {
            /* not JSON */
          }
          if (!shaped) problems.push(`not the error shape: ${where}`);
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    console.info(`fuzz: ${plan.length} requests over all ${covered.size} operations (+ ${plan.filter((p) => p.webhook).length} signed webhooks); statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
    expect(problems.slice(0, 30)).toEqual([]);
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
  }, 240_000);
});
