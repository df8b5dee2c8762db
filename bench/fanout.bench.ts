import { createHmac } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { startGateway } from './support/gateway-process.js';
import { call, connectedDevice, login } from './support/api.js';
import { pgClient } from './support/pg.js';
import { percentile, type Figure } from './support/report.js';

export const title = 'Real time: WebSocket fan-out (1,000 sockets = 50 users × 20 tabs, 200 webhooks/s)';

const USERS = 50;
const TABS = 20;
const RATE = 200; // incoming message webhooks per second
const OWN = RATE * 10; // scenario 1: 10 s, each message to one user's number (its 20 tabs)
const SHARED = RATE * 5; // scenario 2: 5 s, every message to a number all 50 users work (1,000 tabs)
const DIRECT = RATE * 5; // scenario 3: as 2, but the events are appended straight to the log (fan-out alone)
const debug = (what: string) => process.env.BENCH_DEBUG && console.error(`  [fanout] ${what}`);

/**
 * One signed WAHA `message` delivery whose body carries its number, to match deliveries to sends.
 * Warm-up deliveries go to other chats and carry no number (the sockets do not count them).
 */
function delivery(secret: string, i: number, warmup = false) {
  const chat = `${warmup ? 49153 : 49152}${String(1_000_000 + (i % 50))}@c.us`;
  const body = JSON.stringify({
    id: `evt_${warmup ? 'warmup' : 'fanout'}${String(i).padStart(20, '0')}`,
    timestamp: Date.now(),
    event: 'message',
    session: 'bench',
    metadata: {},
    me: { id: '4930000000@c.us', pushName: 'Bench' },
    payload: { id: `false_${chat}_${warmup ? 'WARM' : 'FAN'}${i}`, timestamp: Math.floor(Date.now() / 1000), from: chat, fromMe: false, source: 'app', to: '4930000000@c.us', body: warmup ? `warm-up ${i}` : `fan#${i}#`, hasMedia: false, ack: 1, _data: { notifyName: `Contact ${i % 50}` } },
    engine: 'NOWEB',
  });
  return { body, headers: { 'content-type': 'application/json', 'x-webhook-hmac': createHmac('sha512', secret).update(body).digest('hex'), 'x-webhook-hmac-algorithm': 'sha512' } };
}

const CREATED = Buffer.from('"type":"message.created"');
const MARK = Buffer.from('fan#');

export async function run(): Promise<Figure[]> {
  const gw = await startGateway();
  const pg = await pgClient(gw.databaseUrl);
  const sockets: WebSocket[] = [];
  try {
    // 50 people (alice and 49 colleagues), each with their own number; alice's shared number has all 49 as members.
    const alice = await login(gw.url);
    const shared = await connectedDevice(gw, alice, pg);
    const emails = ['alice@demo.test'];
    for (let u = 1; u < USERS; u++) {
      const email = `fan${u}@bench.test`;
      const made = await call<{ id: string }>(gw.url, 'POST', '/api/users', { token: alice, body: { email, name: `Fan ${u}`, role: 'editor', password: 'bench-password-1' } });
      if (made.status !== 201) throw new Error(`create user ${made.status}`);
      const m = await call(gw.url, 'POST', `/api/devices/${shared.id}/members`, { token: alice, body: { userId: made.body.id, role: 'viewer' } });
      if (m.status !== 200) throw new Error(`add member ${m.status}`);
      emails.push(email);
    }
    const tokens: string[] = [];
    for (let u = 0; u < USERS; u += 5) tokens.push(...(await Promise.all(emails.slice(u, u + 5).map((e) => login(gw.url, e, e.startsWith('alice') ? 'demo-password' : 'bench-password-1')))));
    const own: { id: string; secret: string }[] = [];
    for (let u = 0; u < USERS; u++) own.push(await connectedDevice(gw, tokens[u]!, pg));
    debug('users and numbers ready');

    // Every message number i expects `need[i]` deliveries (one per allowed socket).
    const total = OWN + SHARED + DIRECT;
    const sent = new Float64Array(total).fill(NaN);
    const need = new Uint16Array(total);
    const got = new Uint16Array(total);
    const done = new Float64Array(total).fill(NaN);
    let outOfOrder = 0;
    let frames = 0;
    let wrongUser = 0;
    const wsUrl = gw.url.replace('http', 'ws') + '/ws';
    for (let u = 0; u < USERS; u++) {
      await Promise.all(
        Array.from({ length: TABS }, () =>
          new Promise<void>((resolve, reject) => {
            const ws = new WebSocket(wsUrl, ['bearer', tokens[u]!], { perMessageDeflate: false, skipUTF8Validation: true });
            let lastSeq = 0;
            ws.on('message', (buf: Buffer) => {
              if (buf[2] === 0x74 /* {"type": a control frame */) return resolve();
              frames++;
              const seq = parseInt(buf.subarray(7, 27).toString('latin1'), 10);
              if (seq <= lastSeq) outOfOrder++;
              lastSeq = seq;
              if (buf.indexOf(CREATED) < 0) return;
              const at = buf.indexOf(MARK);
              if (at < 0) return;
              const i = parseInt(buf.subarray(at + 4, at + 12).toString('latin1'), 10);
              if (i < OWN && i % USERS !== u) wrongUser++;
              if (++got[i]! === need[i]) done[i] = performance.now();
            });
            ws.once('error', reject);
            sockets.push(ws);
          }),
        ),
      );
    }
    await new Promise((r) => setTimeout(r, 500)); // past the resume grace of the last sockets
    debug('sockets ready');

    /** Sends messages [from, to) at RATE per second, each on its own schedule (not waiting for answers). */
    const load = async (from: number, to: number, target: (i: number) => { id: string; secret: string }, audience: number) => {
      const bodies = Array.from({ length: to - from }, (_, k) => ({ path: `${gw.url}/webhooks/waha/${target(from + k).id}`, ...delivery(target(from + k).secret, from + k) }));
      const answers: Promise<string>[] = [];
      const answered: number[] = [];
      const answeredAt = new Float64Array(to - from).fill(NaN);
      const t0 = performance.now();
      for (let i = from; i < to; i++) {
        const due = t0 + ((i - from) * 1000) / RATE;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        need[i] = audience;
        sent[i] = performance.now();
        const { path, ...init } = bodies[i - from]!;
        answers.push(
          fetch(path, { method: 'POST', ...init }).then(
            async (r) => (await r.arrayBuffer(), answered.push(performance.now() - sent[i]!), (answeredAt[i - from] = performance.now() - sent[i]!), String(r.status)),
            (err: Error) => `${err.message} (${(err.cause as Error)?.message})`,
          ),
        );
      }
      const seconds = (performance.now() - t0) / 1000;
      const statuses = await Promise.all(answers);
      const failed = statuses.filter((s) => s !== '200');
      if (failed.length) console.error(`  [fanout] ${failed.length} webhook answers were not 200, e.g. ${failed[0]}`);
      // A refused webhook may have stored nothing: it is not waited for (and counts as not delivered).
      statuses.forEach((s, k) => s !== '200' && got[from + k]! < need[from + k]! && (need[from + k] = 65535));
      const end = performance.now() + 20_000;
      const missing = () => got.subarray(from, to).some((g, k) => g < need[from + k]! && need[from + k] !== 65535);
      while (missing() && performance.now() < end) await new Promise((r) => setTimeout(r, 100));
      const latencies = Array.from(done.subarray(from, to), (d, k) => d - sent[from + k]!).filter((d) => !Number.isNaN(d)).sort((a, b) => a - b);
      const extra = Array.from(got.subarray(from, to)).filter((g, k) => g > need[from + k]!).length;
      answered.sort((a, b) => a - b);
      // The fan-out's own share: from the webhook's answer (its events committed) to the last socket.
      const fanout = Array.from(done.subarray(from, to), (d, k) => d - sent[from + k]! - answeredAt[k]!).filter((d) => !Number.isNaN(d)).sort((a, b) => a - b);
      debug(`${from}..${to}: ${latencies.length} complete, p99 ${percentile(latencies, 99)}, webhook answer p50 ${percentile(answered, 50)} p99 ${percentile(answered, 99)}`);
      return { rate: Math.round((to - from) / seconds), complete: latencies.length, extra, latencies, answered, fanout, refused: failed.length };
    };

    // Fan-out alone: the events a stored message produces, appended to the log (and NOTIFY) as ingest does.
    const orgId = (await pg.first('SELECT org_id FROM devices WHERE id = $1', [shared.id])).org_id as string;
    const direct = await (async () => {
      const from = OWN + SHARED;
      const t0 = performance.now();
      let writes: Promise<unknown> = Promise.resolve(); // one connection: one statement at a time
      const committedAt: { at: number }[] = [];
      for (let i = from; i < from + DIRECT; i++) {
        const wait = t0 + ((i - from) * 1000) / RATE - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        need[i] = USERS * TABS;
        sent[i] = performance.now();
        const msg = JSON.stringify({ id: i, deviceId: shared.id, direction: 'in', body: `fan#${i}#`, status: 'received' });
        const committed = (committedAt[i - from] = { at: NaN });
        writes = writes.then(() =>
          pg.first(
            `WITH ins AS (INSERT INTO events (org_id, device_id, type, data) VALUES ($1, $2, 'message.created', $3::jsonb), ($1, $2, 'chat.updated', $4::jsonb) RETURNING id)
             SELECT pg_notify('gateway_events', max(id)::text) FROM ins`,
            [orgId, shared.id, msg, JSON.stringify({ deviceId: shared.id, lastMessagePreview: `fan#${i}#`, unreadCount: 1 })],
          ).then(() => (committed.at = performance.now())),
        );
      }
      await writes;
      const end = performance.now() + 20_000;
      while (got.subarray(from, from + DIRECT).some((g) => g < USERS * TABS) && performance.now() < end) await new Promise((r) => setTimeout(r, 100));
      // From the append's commit (as seen by the writer) to the last of the 1,000 sockets.
      return Array.from(done.subarray(from, from + DIRECT), (d, k) => d - committedAt[k]!.at).filter((d) => !Number.isNaN(d)).sort((a, b) => a - b);
    })();
    debug(`direct: ${direct.length} complete, p99 ${percentile(direct, 99)}`);
    // One second of the same load first, to other chats and not timed: both processes' code paths
    // are compiled and their connections open (a measured first second would time the JIT, not us).
    const warm = Array.from({ length: RATE }, (_, i) => ({ target: own[i % USERS]!, ...delivery(own[i % USERS]!.secret, i, true) }));
    const t0 = performance.now();
    await Promise.all(
      warm.map(async ({ target, body, headers }, i) => {
        await new Promise((r) => setTimeout(r, t0 + (i * 1000) / RATE - performance.now()));
        const r = await fetch(`${gw.url}/webhooks/waha/${target.id}`, { method: 'POST', body, headers });
        await r.arrayBuffer();
      }),
    );
    debug('warmed up');
    const one = await load(0, OWN, (i) => own[i % USERS]!, TABS);
    const all = await load(OWN, OWN + SHARED, () => shared, USERS * TABS);
    const r = (n: number) => Math.round(n * 10) / 10;
    return [
      { name: `sockets connected (${USERS} users × ${TABS} tabs)`, value: sockets.filter((s) => s.readyState === s.OPEN).length, unit: 'sockets', target: { op: '>=', value: USERS * TABS } },
      { name: `own numbers: webhook rate sent (${OWN} signed message webhooks)`, value: one.rate, unit: 'ev/s', target: { op: '>=', value: RATE * 0.95 } },
      { name: 'webhooks not answered 200 (both runs)', value: one.refused + all.refused, unit: 'reqs', target: { op: '<=', value: 0 } },
      { name: 'own numbers: messages delivered to all 20 tabs of their user', value: one.complete, unit: 'msgs', target: { op: '>=', value: OWN } },
      { name: 'own numbers: deliveries to a user not allowed', value: wrongUser, unit: 'frames', target: { op: '<=', value: 0 } },
      { name: 'own numbers: webhook answered (stored and committed), p50', value: r(percentile(one.answered, 50)), unit: 'ms' },
      { name: 'own numbers: webhook answered → on every allowed socket, p99', value: r(percentile(one.fanout, 99)), unit: 'ms' },
      { name: 'own numbers: webhook sent → on every allowed socket, p50', value: r(percentile(one.latencies, 50)), unit: 'ms' },
      { name: 'own numbers: webhook sent → on every allowed socket, p99', value: r(percentile(one.latencies, 99)), unit: 'ms', target: { op: '<=', value: 100 } },
      { name: `shared number (all 1,000 sockets allowed): webhook rate sent (${SHARED})`, value: all.rate, unit: 'ev/s' },
      { name: 'shared number: messages delivered to all 1,000 sockets', value: all.complete, unit: 'msgs', target: { op: '>=', value: SHARED } },
      { name: 'shared number: webhook sent → on all 1,000 sockets, p50', value: r(percentile(all.latencies, 50)), unit: 'ms' },
      { name: 'shared number: webhook sent → on all 1,000 sockets, p99', value: r(percentile(all.latencies, 99)), unit: 'ms' },
      { name: 'shared number: webhook answered → on all 1,000 sockets, p99', value: r(percentile(all.fanout, 99)), unit: 'ms' },
      { name: 'fan-out alone (events appended to the log): delivered to all 1,000', value: direct.length, unit: 'msgs', target: { op: '>=', value: DIRECT } },
      { name: 'fan-out alone: committed → on all 1,000 sockets, p50', value: r(percentile(direct, 50)), unit: 'ms' },
      { name: 'fan-out alone: committed → on all 1,000 sockets, p99', value: r(percentile(direct, 99)), unit: 'ms' },
      { name: 'messages delivered twice to a socket (all runs)', value: one.extra + all.extra + Array.from(got.subarray(OWN + SHARED)).filter((g) => g > USERS * TABS).length, unit: 'msgs', target: { op: '<=', value: 0 } },
      { name: 'frames out of seq order on a socket', value: outOfOrder, unit: 'frames', target: { op: '<=', value: 0 } },
      { name: 'frames received (message.created + chat.updated)', value: frames, unit: 'frames' },
    ];
  } finally {
    for (const s of sockets) s.terminate();
    await pg.end();
    await gw.stop();
  }
}
