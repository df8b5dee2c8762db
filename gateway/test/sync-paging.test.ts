import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startTestApp, type TestApp } from './support/test-app.js';
import { makeOrg, makeUser } from './support/factories.js';
import { makeDevice } from './conversations/world.js';
import { eventually } from './support/engine-env.js';
import { EventBus } from '../src/platform/events/event-bus.js';
import { SyncService } from '../src/features/sync/sync.service.js';
import { JobQueue } from '../src/platform/jobs/job-queue.js';
import * as repo from '../src/features/sync/sync.repository.js';
import type { EngineAdapter, EngineChat } from '../src/features/engines/engine.types.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({}, { background: false });
});
afterAll(() => t.close());

const later = <T>(v: T) => new Promise<T>((r) => setTimeout(() => r(v), 1));

describe('history import paging', () => {
  it('when the engine ignores the offset of its chat list, then the import takes each chat once and finishes', async () => {
    const chats: EngineChat[] = Array.from({ length: 200 }, (_, i) => ({ jid: `4915${String(i).padStart(8, '0')}@s.whatsapp.net`, name: null, isGroup: false }));
    let pages = 0;
    const engine = {
      listContacts: () => later([]),
      listLids: () => later([]),
      listChats: () => (pages++, later(chats)), // every page is the first one
      listMessages: () => later([]),
    } as unknown as EngineAdapter;
    const opts = { pageSize: 100, maxMessagesPerChat: 0, staleMs: 30_000, historyQuietMs: 1000, maxAttempts: 1 };
    const jobs = new JobQueue(t.db, { concurrency: 1, pollMs: 100 }, pino({ level: 'silent' }));
    const sync = new SyncService(t.db, { adapter: () => engine } as never, t.services.ingest, t.services.devices, opts, pino({ level: 'silent' }), new EventBus(pino({ level: 'silent' })), jobs);
    const org = await makeOrg(t.db);
    const owner = await makeUser(t.db, org.id, 'editor');
    const device = await makeDevice(t.db, org.id, owner.id);
    const job = await repo.enqueue(t.db, org.id, device.id, 'manual');
    expect(await sync.recover()).toBe(1); // queued without a queue job: it gets one
    await jobs.start();
    try {
      const done = await eventually(async () => {
        const j = await repo.latestFor(t.db, device.id);
        return j?.status === 'done' ? j : undefined;
      }, 15_000, 'import done');
      expect(done).toMatchObject({ id: job.id, total_chats: 200, done_chats: 200 });
      expect(pages).toBe(2);
    } finally {
      await jobs.stop();
    }
  });
});
