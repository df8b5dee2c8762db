import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { makeOrg, makeUser, PASSWORD } from '../support/factories.js';
import { client } from '../support/http.js';
import { eventually } from '../support/engine-env.js';
import { appendEvents, type NewEvent } from '../../src/features/realtime/event-log.js';
import { append, liveSocket, sleep } from './ws.support.js';

let t: TestApp;
let orgId: string;
let token: string;
let mine: string; // a device of the user
let theirs: string; // a device of someone else in the org

const ev = (deviceId: string, n: number) => ({ orgId, deviceId, type: 'device.status', data: { deviceId, n } }) as unknown as NewEvent;
/** Ids of the user's events after `since`, as the table has them. */
const mineAfter = async (since: number) => (await t.db('events').where('id', '>', since).andWhere({ device_id: mine }).orderBy('id').pluck('id')).map(Number);

async function device(ownerId: string) {
  const [d] = await t.db('devices').insert({ org_id: orgId, owner_id: ownerId, name: 'Phone', engine: 'waha', engine_session: 's' + randomBytes(4).toString('hex'), webhook_secret: 'x', status: 'connected' }).returning('id');
  return d.id as string;
}

beforeAll(async () => {
  t = await startTestApp({ EVENTS_RETENTION_HOURS: '24' }, { validateEvents: false }); // made-up payloads: the transport is under test
  orgId = (await makeOrg(t.db)).id;
  const u = await makeUser(t.db, orgId, 'editor');
  const other = await makeUser(t.db, orgId, 'editor');
  token = (await client(t.url).post('/api/auth/login', { body: { email: u.email, password: PASSWORD } })).body.accessToken;
  mine = await device(u.id);
  theirs = await device(other.id);
});
afterAll(() => t.close());

describe('/ws resume', () => {
  it('when a client reconnects with its last seq while events keep coming, then it gets exactly the missed ones, in order, then the live ones: no duplicate, no gap', async () => {
    const first = await liveSocket(t.url, token);
    for (let i = 0; i < 3; i++) await append(t.db, [ev(mine, i), ev(theirs, i)]);
    await eventually(async () => first.events().length === 3, 5_000, 'first three');
    const since = first.events().at(-1)!.seq!;
    await first.close();

    // Missed while away: more than one replay page, mixed with events the user may not see.
    for (let i = 0; i < 6; i++) await append(t.db, Array.from({ length: 200 }, (_, k) => ev(k % 3 ? mine : theirs, i * 200 + k)));

    // New events keep arriving while the client reconnects and replays.
    let producing = true;
    const producer = (async () => {
      for (let i = 0; producing; i++) {
        await append(t.db, [ev(mine, 10_000 + i), ev(theirs, 10_000 + i)]);
        await sleep(3);
      }
    })();
    const again = await liveSocket(t.url, token, { since });
    await eventually(async () => again.events().filter((f) => f.data.n >= 10_000).length >= 20, 10_000, 'live events after the replay');
    producing = false;
    await producer;
    const expected = await mineAfter(since);
    await eventually(async () => again.events().length >= expected.length, 5_000, 'the last live events');
    await sleep(100);
    const got = again.events().map((f) => f.seq!);
    expect(got.length).toBe(expected.length);
    expect(got).toEqual(expected);
    expect(again.events().every((f) => f.data.deviceId === mine)).toBe(true);
    await again.close();
  });

  it('when a client resumes from the present, then nothing is replayed and live events flow', async () => {
    const now = Number((await t.db('events').max('id as m').first())!.m);
    const s = await liveSocket(t.url, token, { since: now });
    await sleep(100);
    expect(s.events()).toEqual([]);
    const id = await append(t.db, [ev(mine, -1)]);
    expect((await s.waitFor((f) => f.seq === id)).data.n).toBe(-1);
    // Frames of every length encoding (7-bit, 16-bit, 64-bit) and non-ASCII text arrive intact.
    for (const size of [10, 300, 70_000]) {
      const text = 'é€'.repeat(size);
      const big = await append(t.db, [{ orgId, deviceId: mine, type: 'device.status', data: { deviceId: mine, text } }]);
      expect((await s.waitFor((f) => f.seq === big)).data.text).toBe(text);
    }
    await s.close();
  });

  it('when an event id is taken by a transaction that commits late, then the later event waits for it and both arrive in id order', async () => {
    const s = await liveSocket(t.url, token);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let early = 0;
    const slow = t.db.transaction(async (trx) => {
      early = (await appendEvents(trx, [ev(mine, -10)]))!;
      await gate;
    });
    await eventually(async () => early > 0, 5_000, 'slow insert');
    const late = await append(t.db, [ev(mine, -11)]);
    expect(late).toBeGreaterThan(early);
    await sleep(200);
    expect(s.events().map((f) => f.seq)).toEqual([]); // held behind the uncommitted id
    release();
    await slow;
    await eventually(async () => s.events().length === 2, 5_000, 'both');
    expect(s.events().map((f) => f.seq)).toEqual([early, late]);
    await s.close();
  });

  it('when an event id is rolled back, then later events are still delivered (after a short wait)', async () => {
    const s = await liveSocket(t.url, token);
    await t.db
      .transaction(async (trx) => {
        await appendEvents(trx, [ev(mine, -20)]);
        throw new Error('rollback');
      })
      .catch(() => undefined);
    const id = await append(t.db, [ev(mine, -21)]);
    const f = await s.waitFor((x) => x.seq === id, 5_000);
    expect(f.data.n).toBe(-21);
    expect(s.events()).toHaveLength(1);
    await s.close();
  });

  it('when the resume point is older than the retention, then a resync event tells the client to refetch, and live events follow', async () => {
    const old = await append(t.db, [ev(mine, -30)]);
    await t.db('events').where('id', '<=', old).update({ created_at: t.db.raw(`now() - interval '25 hours'`) });
    const pruned = await t.services.realtime.prune();
    expect(pruned).toBeGreaterThan(0);
    const s = await liveSocket(t.url, token, { since: 1 });
    const resync = await s.waitFor((f) => f.type === 'resync');
    expect(resync.seq).toBeGreaterThanOrEqual(old);
    expect(resync.data).toEqual({});
    expect(s.events().filter((f) => f.type !== 'resync')).toEqual([]);
    const id = await append(t.db, [ev(mine, -31)]);
    await s.waitFor((f) => f.seq === id);
    await s.close();
  });

  it('when the LISTEN connection is cut, then the process reconnects and catches up on what it missed', async () => {
    const s = await liveSocket(t.url, token);
    const killed = await t.db.raw(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()`);
    expect(killed.rows.length).toBeGreaterThan(0);
    const id = await append(t.db, [ev(mine, -40)]);
    await s.waitFor((f) => f.seq === id, 10_000, 'event after reconnect');
    await s.close();
  });
});
