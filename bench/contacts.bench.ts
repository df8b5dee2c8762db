import knexFactory from 'knex';
import { freePort, startGateway } from './support/gateway-process.js';
import { percentile, type Figure } from './support/report.js';

export const title = 'Contacts: CSV import throughput and CRM ↔ WhatsApp matches at 100,000 × 100,000';

const N = 100_000;
/** The i-th test number: valid US numbers (212) 2xx-xxxx, as E.164 digits and as a person would type it. */
const digits = (i: number) => `1212${200 + Math.floor(i / 10_000)}${String(i % 10_000).padStart(4, '0')}`;
const typed = (i: number) => `(212) ${200 + Math.floor(i / 10_000)}-${String(i % 10_000).padStart(4, '0')}`;

/**
 * The real gateway in its own process on its own database. 100,000 CRM contacts arrive through
 * POST /api/contacts/import (numbers typed nationally, so every row is parsed and validated); 100,000
 * WhatsApp contacts of one device are written as the ingest writes them (no number: the trigger
 * derives it; every tenth is known only by LID, resolved through lid_map). Half of each side matches.
 */
export async function run(): Promise<Figure[]> {
  const pgPort = await freePort();
  const gw = await startGateway({ EMBEDDED_PG_PORT: String(pgPort), PHONE_DEFAULT_REGION: 'US', CONTACTS_IMPORT_MAX_ROWS: String(N) });
  const db = knexFactory({ client: 'pg', connection: process.env.DATABASE_URL ?? `postgres://postgres:postgres@127.0.0.1:${pgPort}/gateway`, pool: { min: 0, max: 2 } });
  try {
    const login = await fetch(`${gw.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'alice@demo.test', password: 'demo-password' }),
    });
    const { accessToken: token, user } = (await login.json()) as { accessToken: string; user: { id: string; orgId: string } };
    const auth = { authorization: `Bearer ${token}` };

    // A fresh organization state for repeat runs against a shared DATABASE_URL.
    await db('contacts').where({ org_id: user.orgId }).delete();
    const [device] = await db('devices')
      .insert({ org_id: user.orgId, owner_id: user.id, name: 'Bench phone', engine: 'waha', engine_session: `bench-${Date.now()}`, webhook_secret: 'x' })
      .returning('id');
    await db.raw(
      `INSERT INTO lid_map (device_id, lid, phone_jid)
       SELECT ?, i || '@lid', '1212' || (200 + i / 10000) || lpad((i % 10000)::text, 4, '0') || '@s.whatsapp.net'
         FROM generate_series(?::int, ?::int) i WHERE i % 10 = 0`,
      [device.id, N / 2, N / 2 + N - 1],
    );
    await db.raw(
      `INSERT INTO wa_contacts (org_id, device_id, jid, push_name)
       SELECT ?, ?, CASE WHEN i % 10 = 0 THEN i || '@lid'
                         ELSE '1212' || (200 + i / 10000) || lpad((i % 10000)::text, 4, '0') || '@s.whatsapp.net' END,
              'wa ' || i
         FROM generate_series(?::int, ?::int) i`,
      [user.orgId, device.id, N / 2, N / 2 + N - 1],
    );

    const lines = ['Full Name,Phone,Email,Company'];
    for (let i = 0; i < N; i++) lines.push(`Person ${i},${typed(i)},p${i}@bench.test,Company ${i % 97}`);
    const csv = lines.join('\n') + '\n';
    const importOnce = async () => {
      const t0 = performance.now();
      const r = await fetch(`${gw.url}/api/contacts/import?mode=all-or-nothing`, { method: 'POST', headers: { ...auth, 'content-type': 'text/csv' }, body: csv });
      const body = (await r.json()) as { inserted: number; unchanged: number; invalid: number };
      if (r.status !== 200 || body.invalid) throw new Error(`import ${r.status}: ${JSON.stringify(body).slice(0, 500)}`);
      return { s: (performance.now() - t0) / 1000, body };
    };
    const first = await importOnce();
    if (first.body.inserted !== N) throw new Error(`import inserted ${first.body.inserted}, expected ${N}`);
    const again = await importOnce();
    if (again.body.unchanged !== N) throw new Error(`re-import left ${again.body.unchanged} unchanged, expected ${N}`);
    await db.raw('ANALYZE contacts, wa_contacts, lid_map'); // what autovacuum does after a bulk load

    const timings: number[] = [];
    const counts: Record<string, number>[] = [];
    const ask = async (path: string) => {
      const t0 = performance.now();
      const r = await fetch(`${gw.url}${path}`, { headers: auth });
      const body = (await r.json()) as { counts: Record<string, number>; nextCursor: string | null; items: unknown[] };
      if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
      return { ms: performance.now() - t0, body };
    };
    await ask('/api/contacts/matches'); // warm-up
    for (let round = 0; round < 5; round++) {
      for (const kind of ['matched', 'whatsapp-only', 'crm-only']) {
        const p1 = await ask(`/api/contacts/matches?kind=${kind}&limit=50`);
        const p2 = await ask(`/api/contacts/matches?kind=${kind}&limit=50&cursor=${p1.body.nextCursor}`);
        timings.push(p1.ms, p2.ms);
        counts.push(p1.body.counts);
      }
    }
    const c = counts[0]!;
    if (c.matched !== N / 2 || c.whatsappOnly !== N / 2 || c.crmOnly !== N / 2) throw new Error(`unexpected counts ${JSON.stringify(c)}`);
    timings.sort((a, b) => a - b);
    return [
      { name: 'CSV import, 100,000 new rows (parse, validate, upsert)', value: Math.round(N / first.s), unit: 'rows/s', target: { op: '>=', value: 10_000 } },
      { name: 'CSV re-import of the same 100,000 rows (all unchanged)', value: Math.round(N / again.s), unit: 'rows/s', target: { op: '>=', value: 10_000 } },
      { name: 'GET /api/contacts/matches 100k × 100k, median (counts + page)', value: Math.round(percentile(timings, 50)), unit: 'ms' },
      { name: 'GET /api/contacts/matches 100k × 100k, slowest of 30', value: Math.round(timings[timings.length - 1]!), unit: 'ms', target: { op: '<=', value: 1000 } },
    ];
  } finally {
    await db.destroy();
    await gw.stop();
  }
}
