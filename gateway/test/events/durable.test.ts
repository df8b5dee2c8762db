import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { makeOrg, makeUser } from '../support/factories.js';
import { client } from '../support/http.js';
import { login } from '../contacts/factories.js';
import { eventually } from '../support/engine-env.js';
import { EventBus } from '../../src/platform/events/event-bus.js';
import { DurableConsumers } from '../../src/platform/events/durable-consumers.js';

let t: TestApp;
const shared = { org: '' };
let token: string;
let url: string;
beforeAll(async () => {
  t = await startTestApp({}, { background: false });
  url = (t.config.DATABASE_URL ?? '') as string;
  const org = await makeOrg(t.db);
  shared.org = org.id;
  const editor = await makeUser(t.db, org.id, 'editor');
  token = await login(client(t.url), editor.email);
  await t.db.raw(`CREATE TABLE durable_test_seen (n serial PRIMARY KEY, contact_id uuid NOT NULL, pid int NOT NULL)`);
});
afterAll(() => t.close());

let phone = 4915200000000;
const newContact = async () => {
  const r = await client(t.url).post('/api/contacts', { token, body: { name: 'Durable', phone: `+${++phone}` } });
  expect(r.status).toBe(201);
  return r.body.id as string;
};

/** A consumer process (durable-child.ts) and what it prints. */
function child(env: Record<string, string>) {
  const script = fileURLToPath(new URL('./durable-child.ts', import.meta.url));
  const p: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, DATABASE_URL: url, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout!.on('data', (c) => (out += c));
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  return { p, printed: (s: string) => eventually(async () => out.includes(s), 20_000, `child to print ${s}`), exited };
}

const seen = async () => (await t.db('durable_test_seen').orderBy('n')) as { contact_id: string; pid: number }[];

describe('durable consumers', () => {
  it('when the consumer process is killed between the commit of events and its run (and once mid-run), then after a restart it has handled every event exactly once', async () => {
    const a = child({ HANG_AT: '3' });
    await a.printed('STARTED');
    await eventually(async () => (await t.db('event_consumers').where({ name: 'test.recorder' }).first()) ?? false, 20_000, 'consumer registered');
    const ids = [await newContact(), await newContact()];
    await eventually(async () => (await seen()).length === 2, 20_000, 'first two handled');
    // The third hangs inside its handler (its row written, not committed); more commit meanwhile.
    ids.push(await newContact());
    await a.printed('HANGING');
    ids.push(await newContact(), await newContact(), await newContact());
    a.p.kill('SIGKILL');
    await a.exited;
    ids.push(await newContact(), await newContact()); // committed while no consumer runs at all

    const b = child({});
    try {
      await eventually(async () => (await seen()).length >= ids.length, 30_000, 'all handled after restart');
      await new Promise((r) => setTimeout(r, 300)); // a duplicate would show up by now
      const rows = await seen();
      expect(rows.map((r) => r.contact_id).sort()).toEqual([...ids].sort());
      expect(rows.slice(0, 2).map((r) => r.pid)).toEqual([a.p.pid, a.p.pid]);
      expect(rows.slice(2).every((r) => r.pid === b.p.pid)).toBe(true);
    } finally {
      b.p.kill('SIGKILL');
      await b.exited;
    }
  }, 60_000);

  it('when an event commits after a later one (its transaction took its id first), then the consumer waits for the open one and handles both, passing over neither', async () => {
    const bus = new EventBus(pino({ level: 'silent' }));
    const handled: string[] = [];
    bus.consume('test.order', ['contact.updated'], async (e) => {
      handled.push(e.data.contactId);
    });
    const consumers = new DurableConsumers(t.db, bus, { pollMs: 20 }, pino({ level: 'silent' }));
    consumers.start();
    try {
      await eventually(async () => (await t.db('event_consumers').where({ name: 'test.order' }).first()) ?? false, 10_000, 'registered');
      const log = (trx: typeof t.db, id: string) => trx('events').insert({ org_id: (shared.org), type: 'contact.updated', data: { id, name: 'Ana', phone: '+4915100000001', deleted: false } }).returning('id');
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let firstId = 0;
      const slow = t.db.transaction(async (trx) => {
        [{ id: firstId }] = await log(trx, '00000000-0000-4000-8000-000000000001');
        await held; // still open while the next event commits
      });
      await eventually(async () => firstId > 0, 5_000, 'first id taken');
      const [{ id: secondId }] = await log(t.db, '00000000-0000-4000-8000-000000000002');
      expect(Number(secondId)).toBeGreaterThan(firstId);
      await new Promise((r) => setTimeout(r, 300)); // several polls while the first is uncommitted
      expect(handled).toEqual([]); // nothing past the oldest open transaction
      release();
      await slow;
      await eventually(async () => handled.length === 2, 5_000, 'both handled');
      await new Promise((r) => setTimeout(r, 100));
      expect(handled).toEqual(['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002']);
    } finally {
      await consumers.stop();
    }
  });

  it('when a durable handler throws, then the publisher is unaffected, the failure is counted, and the event is tried again (after a back-off) until it succeeds, once', async () => {
    const bus = new EventBus(pino({ level: 'silent' }));
    let calls = 0;
    const done: string[] = [];
    bus.consume('test.flaky', ['contact.updated'], async (e, trx) => {
      calls++;
      await trx('durable_test_seen').insert({ contact_id: e.data.contactId, pid: -1 }); // undone by the throw
      if (calls < 3) throw new Error('flaky');
      done.push(e.data.contactId);
    });
    const consumers = new DurableConsumers(t.db, bus, { pollMs: 50 }, pino({ level: 'silent' }));
    consumers.start();
    try {
      await eventually(async () => (await t.db('event_consumers').where({ name: 'test.flaky' }).first()) ?? false, 10_000, 'registered');
      const id = await newContact(); // answered 201 while its listener fails
      // `done` is filled inside the handler, before its transaction commits: wait for the commit too.
      await eventually(async () => done.length === 1 && (await t.db('durable_test_seen').where({ pid: -1 })).length > 0, 15_000, 'handled after retries');
      expect(done).toEqual([id]);
      expect(calls).toBe(3);
      expect(await t.db('durable_test_seen').where({ pid: -1 })).toHaveLength(1); // the failed tries left nothing
      expect((await bus.failures.get()).values.find((v) => v.labels.listener === 'test.flaky')?.value).toBe(2);
      expect(await t.db('event_consumers').where({ name: 'test.flaky' }).first()).toMatchObject({ failures: 0, last_error: null });
    } finally {
      await consumers.stop();
    }
  });
});
