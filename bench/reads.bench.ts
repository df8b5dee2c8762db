import knexFactory, { type Knex } from 'knex';
import { freePort, startGateway } from './support/gateway-process.js';
import { percentile, type Figure } from './support/report.js';

export const title = 'Reads on 1,000,000 messages in 10,000 chats: chat list, conversation page, search (sequential HTTP)';

const CHATS = 10_000;
const MESSAGES = Number(process.env.READS_BENCH_MESSAGES ?? 1_000_000); // smaller only to explore plans
const REQUESTS = 200;
/**
 * Untimed calls of each path first: a server in use runs with its code optimised by the JIT and its
 * data in PostgreSQL's buffers. Right after the bulk load, the first 200 calls of a path measured
 * 15–25 % slower than the next 200 in the same process.
 */
const WARMUP = 100;

/**
 * 2,000 made-up words from syllables (some accented), 8 per message drawn by hash: each word is in
 * about 0.4 % of the messages (~4,000), like an everyday word in a year of a busy number.
 */
function vocabulary(): string[] {
  const a = ['ba', 'ca', 'da', 'fe', 'go', 'li', 'mo', 'na', 'pe', 'ri', 'so', 'tu', 'vé', 'xa', 'zo', 'ção', 'lu', 'ke', 'mi', 'ra'];
  const b = ['ne', 'to', 'ra', 'li', 'mé', 'so', 'ta', 'vo', 'ri', 'ca'];
  const c = ['', 'n', 's', 'r', 'l', 'z', 'x', 'm', 'é', 't'];
  const out = new Set<string>();
  for (const x of a) for (const y of b) for (const z of c) out.add(x + y + z);
  return [...out].slice(0, 2000);
}

async function timed(n: number, url: string, token: string, path: (i: number) => string) {
  const ms: number[] = [];
  let hits = 0;
  for (let i = -WARMUP; i < n; i++) {
    const t0 = performance.now();
    const r = await fetch(url + path(i), { headers: { authorization: `Bearer ${token}` } });
    const body = (await r.json()) as { items?: unknown[] };
    if (r.status !== 200) throw new Error(`${path(i)}: ${r.status} ${JSON.stringify(body).slice(0, 300)}`);
    if (i >= 0) (ms.push(performance.now() - t0), (hits += body.items?.length ?? 0));
  }
  ms.sort((x, y) => x - y);
  return { p50: percentile(ms, 50), p95: percentile(ms, 95), avgItems: hits / n };
}

/** The data set: one device of alice's with 10,000 chats and 1,000,000 messages, then VACUUM (ANALYZE). */
export async function load(db: Knex, user: { id: string; orgId: string }) {
    const [device] = await db('devices')
      .insert({ org_id: user.orgId, owner_id: user.id, name: 'Bench phone', engine: 'waha', engine_session: `bench-reads-${Date.now()}`, webhook_secret: 'x', status: 'logged_out' })
      .returning('id');
    const { rows: chatRows } = await db.raw(
      `INSERT INTO chats (org_id, device_id, jid, name)
       SELECT ?, ?, (4915000000000 + c) || '@s.whatsapp.net', CASE WHEN c % 3 <> 0 THEN 'Customer ' || c END
         FROM generate_series(0, ? - 1) c RETURNING id`,
      [user.orgId, device.id, CHATS],
    );
    const firstChat = Math.min(...chatRows.map((r: { id: number }) => Number(r.id)));
    // Indexes are built far faster at once than row by row: drop them for the load (not the key
    // or constraints), rebuild them after, exactly as the migrations define them.
    const { rows: indexes } = await db.raw(
      `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'messages' AND indexname NOT IN (SELECT conname FROM pg_constraint)`,
    );
    for (const ix of indexes) await db.raw(`DROP INDEX ${ix.indexname}`);
    await db.raw(
      `INSERT INTO messages (org_id, device_id, chat_id, engine_message_id, direction, sender_jid, type, body, ack, source, sent_at)
       SELECT ?, ?, ?::bigint + i % ?, 'B' || i, CASE WHEN i % 3 = 0 THEN 'out' ELSE 'in' END,
              CASE WHEN i % 3 = 0 THEN '4930000000@s.whatsapp.net' ELSE (4915000000000 + i % ?) || '@s.whatsapp.net' END, 'text',
              (SELECT string_agg(v[1 + abs(hashint8(i * 8 + k)) % array_length(v, 1)], ' ') FROM generate_series(0, 7) k),
              CASE WHEN i % 3 = 0 THEN 3 ELSE 0 END, 'app', timestamptz '2026-01-01' + i * interval '1 second'
         FROM generate_series(0, ? - 1) i, (SELECT ?::text[] AS v) voc`,
      [user.orgId, device.id, firstChat, CHATS, CHATS, MESSAGES, vocabulary()],
    );
    await db.raw(`SET maintenance_work_mem = '256MB'`);
    for (const ix of indexes) await db.raw(ix.indexdef);
    await db.raw(
      `UPDATE chats c SET last_message_id = l.id, last_message_at = l.sent_at, last_message_preview = left(l.body, 140), unread_count = c.id % 4
         FROM chats c2 CROSS JOIN LATERAL (SELECT m.id, m.sent_at, m.body FROM messages m WHERE m.chat_id = c2.id ORDER BY m.sent_at DESC, m.id DESC LIMIT 1) l
        WHERE c.id = c2.id AND c2.device_id = ?`,
      [device.id],
    );
    // What autovacuum does after a bulk load, done before timing instead of during it: statistics,
    // and the visibility map (the chats UPDATE also left 10,000 dead rows).
    await db.raw('VACUUM (ANALYZE) chats, messages, devices, device_members, chat_shares');
  return { firstChat, deviceId: device.id as string };
}

export async function run(): Promise<Figure[]> {
  const pgPort = await freePort();
  const gw = await startGateway({ EMBEDDED_PG_PORT: String(pgPort) });
  const db = knexFactory({ client: 'pg', connection: process.env.DATABASE_URL ?? `postgres://postgres:postgres@127.0.0.1:${pgPort}/gateway`, pool: { min: 0, max: 1 } });
  try {
    const login = await fetch(`${gw.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'alice@demo.test', password: 'demo-password' }),
    });
    const { accessToken: token, user } = (await login.json()) as { accessToken: string; user: { id: string; orgId: string } };

    const t0 = performance.now();
    const { firstChat } = await load(db, user);
    const loadS = (performance.now() - t0) / 1000;

    const words = vocabulary();
    // The fixed cost of any signed-in request on this machine (auth, routing, JSON), for reference.
    const me = await timed(REQUESTS, gw.url, token, () => '/api/auth/me');
    const list = await timed(REQUESTS, gw.url, token, () => '/api/chats?limit=50');
    const conv = await timed(REQUESTS, gw.url, token, (i) => `/api/chats/${firstChat + ((i + WARMUP) * 7919) % CHATS}/messages?limit=50`);
    const search = await timed(REQUESTS, gw.url, token, (i) => `/api/search?q=${encodeURIComponent(words[((i + WARMUP) * 37) % words.length]!)}&limit=20`);
    const { rows: hitRows } = await db.raw(`SELECT count(*)::int AS n FROM messages WHERE search @@ websearch_to_tsquery('simple', immutable_unaccent(?))`, [words[37]]);

    return [
      { name: `bulk load of ${MESSAGES.toLocaleString('en')} messages + indexes`, value: loadS, unit: 's' },
      { name: 'reference: GET /api/auth/me p50', value: me.p50, unit: 'ms' },
      { name: 'chat list, first page of 50: p50', value: list.p50, unit: 'ms' },
      { name: 'chat list, first page of 50: p95', value: list.p95, unit: 'ms', target: { op: '<=', value: 20 } },
      { name: 'conversation page of 50: p50', value: conv.p50, unit: 'ms' },
      { name: 'conversation page of 50: p95', value: conv.p95, unit: 'ms', target: { op: '<=', value: 15 } },
      { name: `search, one word (~${hitRows[0].n} matches ranked), page of 20: p50`, value: search.p50, unit: 'ms' },
      { name: `search, one word, page of 20: p95`, value: search.p95, unit: 'ms', target: { op: '<=', value: 150 } },
    ];
  } finally {
    await db.destroy();
    await gw.stop();
  }
}
