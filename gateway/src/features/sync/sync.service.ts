import { requireAllowed } from '../access/access.policy.js';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { AppError, forbidden, notFound } from '../../platform/errors.js';
import { sessionOfDevice, type EngineAdapter, type EngineChat, type EngineSession } from '../engines/engine.types.js';
import type { EngineRegistry } from '../engines/engine-registry.js';
import type { IngestService } from '../ingest/ingest.service.js';
import type { DeviceCtx } from '../ingest/ingest.types.js';
import { appendEvents } from '../realtime/event-log.js';
import type { DevicesService } from '../devices/devices.service.js';
import type { Actor } from '../../platform/http/auth-context.js';
import * as repo from './sync.repository.js';
import { presentSyncJob } from './sync.presenter.js';
import type { EventBus } from '../../platform/events/event-bus.js';
import type { DomainEvents } from '../../platform/events/domain-events.js';
import type { JobQueue, JobRun } from '../../platform/jobs/job-queue.js';

export interface SyncOptions {
  pageSize: number;
  maxMessagesPerChat: number; // 0 = all the engine holds
  staleMs: number;
  /** Tries of one import (back-off between them, by the job queue) before it counts as failed. */
  maxAttempts: number;
  /**
   * Engines that push history (WuzAPI HistorySync): after their API is read the import stays open until
   * the engine says its sync is complete, or no push has come for this long.
   */
  historyQuietMs: number;
}

class Stopped extends Error {}
/** The import waits for the engine's history pushes: run it again at `until`. */
class Waiting extends Error {
  constructor(readonly until: Date) {
    super('waiting for the engine to push history');
  }
}

/**
 * History import: contacts and LID map, then every chat (in jid order) and its messages newest
 * first, page by page through the same idempotent ingest as live webhooks. Progress and a resume
 * cursor are saved after every page, so a restarted gateway continues where it stopped.
 *
 * Each import is a job on the queue (key sync:<device>), added in the transaction that records it
 * (sync_jobs): a failed attempt is tried again with back-off, a shutdown re-queues the rest, and an
 * import whose process died (no progress for `staleMs`) is queued again by `sync.recover`.
 */
export class SyncService {
  private lastProgressEvent = 0;

  constructor(
    private readonly db: Knex,
    private readonly engines: EngineRegistry,
    private readonly ingest: IngestService,
    private readonly devices: DevicesService,
    private readonly opts: SyncOptions,
    private readonly logger: Logger,
    events: EventBus,
    private readonly jobs: JobQueue,
  ) {
    // A device's first connection starts its import: at once in this process (the engine's history
    // pushes follow the connection closely and count toward the open import), and durably, so a crash
    // between the connection's commit and that cannot lose it. The second finds the import there.
    events.on('device.connected', 'sync.first-import-now', (e) => this.onFirstConnect({ id: e.deviceId, org_id: e.orgId }));
    events.consume('sync.first-import', ['device.connected'], (e, trx) => this.onFirstConnect({ id: e.data.deviceId, org_id: e.data.orgId }, trx));
    jobs.define('sync.import', (p, run) => this.runQueued(Number(p.syncJobId), run));
    jobs.every('sync.recover', opts.staleMs, () => this.recover());
    // History the engine pushed (WuzAPI HistorySync), once stored and counted (storePush): chat previews and group names.
    events.on('history.received', 'sync.history-pushed', (e) => this.onHistoryPushed(e));
  }

  /**
   * Stores a history push (`write`, the ingest's writes in `trx`) and counts it on the device's open
   * import in the same transaction, holding the device's history lock shared: the import cannot end
   * while a push is in flight, and never counts a push whose messages are not stored (or the reverse).
   * A push that comes before the gateway has seen the connection starts the device's first import.
   * The engine's "complete" (pass it with the delivery's last write) ends a waiting import now.
   */
  async storePush(device: { id: string; orgId: string }, pushed: { jids: string[]; complete: boolean }, write: (trx: Knex.Transaction) => Promise<{ insertedMessages: number }>) {
    const job = await this.db.transaction(async (trx) => {
      await repo.lockHistory(trx, device.id, 'shared');
      const r = await write(trx);
      if (!(await repo.openFor(trx, device.id))) await this.onFirstConnect({ id: device.id, org_id: device.orgId }, trx);
      const j = await repo.historyPushed(trx, device.id, { jids: pushed.jids, imported: r.insertedMessages, complete: pushed.complete });
      if (j && pushed.complete && j.status === 'queued' && j.cursor?.phase === 'engine_history') await this.queue(trx, j);
      return j;
    });
    if (job) await this.progress(job);
  }

  /** Chat previews from what a history push stored, and the group names it gave. */
  async onHistoryPushed(e: DomainEvents['history.received']) {
    if (e.chats.length) await this.refreshSummaries(e.deviceId, e.chats.map((c) => c.jid));
    for (const c of e.chats) {
      if (c.name) await this.db('chats').where({ device_id: e.deviceId, jid: c.jid }).whereRaw('name IS DISTINCT FROM ?', [c.name]).update({ name: c.name, updated_at: new Date() });
    }
  }

  async request(actor: Actor, deviceId: string) {
    const { device, access } = await this.devices.visible(actor, deviceId);
    requireAllowed('device.sync', actor.user.role, access, 'Device', 'Viewers cannot start an import');
    if (device.status !== 'connected') throw new AppError('device_not_connected', 409, 'The device must be connected to import its history');
    const job = await this.db.transaction(async (trx) => {
      const j = await repo.enqueue(trx, device.org_id, device.id, 'manual');
      // One already queued or running has its queue job (re-adding a running one's would cost it its retries).
      if (j.created) await this.queue(trx, j);
      return j;
    });
    return presentSyncJob(job);
  }

  async status(actor: Actor, deviceId: string) {
    await this.devices.visible(actor, deviceId);
    const job = await repo.latestFor(this.db, deviceId);
    if (!job) throw notFound('Import');
    return presentSyncJob(job);
  }

  /** A device's first connection starts its import (in `trx`: the caller's transaction). */
  async onFirstConnect(device: { id: string; org_id: string }, trx: Knex = this.db) {
    const job = await repo.enqueueFirst(trx, device.org_id, device.id);
    if (job) {
      this.logger.info({ deviceId: device.id, jobId: job.id }, 'history import queued');
      await this.queue(trx, job);
    }
  }

  /**
   * One queue job per device's import (key sync:<device>). Added only for a new import, a recovery or a
   * shutdown's re-queue: adding it while the job runs would start a second one and end the first one's retries.
   */
  private queue(trx: Knex, job: { id: number; device_id: string }, runAt?: Date) {
    return this.jobs.add('sync.import', { syncJobId: Number(job.id) }, { trx, jobKey: `sync:${job.device_id}`, maxAttempts: this.opts.maxAttempts, ...(runAt ? { runAt } : {}) });
  }

  /** Imports whose process died (running, no progress for staleMs), or queued without a queue job, are queued again. */
  async recover() {
    const { rows } = await this.db.raw(
      `SELECT j.id, j.device_id FROM sync_jobs j JOIN devices d ON d.id = j.device_id AND d.deleted_at IS NULL
       WHERE (j.status = 'running' AND j.heartbeat_at < now() - (? * interval '1 millisecond'))
          OR (j.status = 'queued' AND NOT EXISTS (SELECT 1 FROM graphile_worker.jobs q WHERE q.key = 'sync:' || j.device_id::text))`,
      [this.opts.staleMs],
    );
    for (const r of rows as { id: number; device_id: string }[]) {
      this.logger.info({ jobId: r.id, deviceId: r.device_id }, 'history import queued again');
      await this.queue(this.db, r);
    }
    return rows.length;
  }

  /** The queue's job for import `id`: runs it unless it is finished or another live worker has it. */
  private async runQueued(id: number, run: JobRun) {
    const job = await repo.claimById(this.db, id, this.opts.staleMs);
    if (job) await this.run(job, run);
  }

  private async run(job: repo.SyncJobRow, attempt: JobRun) {
    const row = await this.db('devices').where({ id: job.device_id }).whereNull('deleted_at').first();
    if (!row) return void (await repo.saveProgress(this.db, job.id, { status: 'cancelled', finished_at: new Date() }));
    const device: DeviceCtx = { id: row.id, orgId: row.org_id, engine: row.engine, status: row.status };
    const session: EngineSession = sessionOfDevice(row);
    const adapter = this.engines.adapter(row.engine);
    const log = this.logger.child({ jobId: job.id, deviceId: device.id });
    log.info({ cursor: job.cursor }, job.cursor ? 'history import resumed' : 'history import started');
    try {
      await this.importAll(job, device, session, adapter, attempt.signal);
      const done = adapter.pushesHistory ? await this.finishWhenQuiet(job) : await repo.saveProgress(this.db, job.id, { status: 'done', error: null, finished_at: new Date() });
      if (done) await this.progress(done, true);
      log.info({ messages: done?.done_messages, imported: done?.imported_messages }, 'history import finished');
    } catch (err) {
      if (err instanceof Waiting) {
        log.info({ until: err.until.toISOString() }, 'history import waits for the engine to push history');
        return;
      }
      if (err instanceof Stopped) {
        // Queued again for whichever process takes jobs next (this one takes no more).
        await this.db.transaction(async (trx) => {
          await repo.release(trx, job.id);
          await this.queue(trx, job);
        });
        log.info('history import paused for shutdown; it resumes on the next start');
        return;
      }
      const last = attempt.attempt >= attempt.maxAttempts;
      log.warn({ err, attempt: attempt.attempt, maxAttempts: attempt.maxAttempts }, last ? 'history import failed' : 'history import failed; it will be tried again');
      const error = (err as Error).message;
      const saved = await repo.saveProgress(this.db, job.id, last ? { status: 'failed', error, finished_at: new Date() } : { status: 'queued', error });
      if (saved) await this.progress(saved, true);
      if (!last) throw err; // the queue tries again after a back-off
    }
  }

  private async importAll(job: repo.SyncJobRow, device: DeviceCtx, session: EngineSession, adapter: EngineAdapter, signal: AbortSignal) {
    let cursor: repo.SyncCursor = job.cursor ?? {};
    if (cursor.phase === 'engine_history') return;
    if (!cursor.contactsDone) {
      const [contacts, lids] = await Promise.all([adapter.listContacts(session), adapter.listLids(session).catch(() => [])]);
      await this.ingest.writeNow([
        { device, eventId: null, events: [...lids.map((m) => ({ kind: 'lid' as const, mapping: m })), ...contacts.map((c) => ({ kind: 'contact' as const, contact: c }))] },
      ], { history: true });
      cursor = { ...cursor, contactsDone: true };
      job = (await repo.saveProgress(this.db, job.id, { cursor })) ?? job;
    }

    const startedAt = job.started_at;
    const chats = await this.allChats(adapter, session, signal);
    const totalMessages = chats.every((c) => typeof c.messageCount === 'number')
      ? chats.reduce((n, c) => n + Math.min(c.messageCount ?? 0, this.opts.maxMessagesPerChat || Infinity), 0)
      : null;
    job = (await repo.saveProgress(this.db, job.id, { total_chats: chats.length, total_messages: totalMessages })) ?? job;

    for (const chat of chats) {
      if (cursor.afterJid && chat.jid <= cursor.afterJid) continue;
      await this.upsertChat(device, chat);
      let offset = cursor.chatJid === chat.jid ? (cursor.msgOffset ?? 0) : 0;
      const max = this.opts.maxMessagesPerChat || Infinity;
      while (offset < max) {
        if (signal.aborted) throw new Stopped();
        const limit = Math.min(this.opts.pageSize, max - offset);
        const page = await adapter.listMessages(session, chat.jid, { offset, limit });
        if (page.length) {
          // Messages newer than the import's start are live ones: their webhook stores them as such
          // (unread, pushed to browsers); stored here first, they would pass silently as history.
          const older = page.filter((m) => !startedAt || m.timestamp <= startedAt);
          const r = await this.ingest.writeNow([{ device, eventId: null, events: older.map((message) => ({ kind: 'message' as const, message })) }], { history: true });
          offset += page.length;
          cursor = { ...cursor, chatJid: chat.jid, msgOffset: offset };
          // Added in SQL: an engine's history pushes count into the same row meanwhile. Where the engine
          // pushes history too, the same messages come both ways: only new ones count as received.
          const received = adapter.pushesHistory ? r.insertedMessages : page.length;
          job = (await repo.addProgress(this.db, job.id, { messages: received, imported: r.insertedMessages }, cursor)) ?? job;
          await this.progress(job);
        }
        // Only an empty page ends a chat: adapters drop malformed items, so a short page proves nothing.
        if (!page.length) break;
      }
      await this.refreshChatSummary(device, chat.jid);
      cursor = { contactsDone: true, afterJid: chat.jid, chatJid: null, msgOffset: 0 };
      job = (await repo.saveProgress(this.db, job.id, { cursor })) ?? job;
      job = (await repo.recordChats(this.db, job.id, [chat.jid])) ?? job;
      await this.progress(job);
    }
    if (adapter.pushesHistory) {
      cursor = { ...cursor, phase: 'engine_history', awaitSince: new Date().toISOString() };
      await repo.saveProgress(this.db, job.id, { cursor });
    }
  }

  /**
   * The engine's API is read; what it pushes (HistorySync) is stored and counted by the webhook as it
   * comes. The import ends when the engine says its sync is complete, or after the quiet period without
   * a push — decided holding the device's history lock, so never while a push is still being stored.
   * Not yet: parked as queued, and run again when the quiet period ends (or at once on "complete").
   */
  private async finishWhenQuiet(job: repo.SyncJobRow): Promise<repo.SyncJobRow | null> {
    const r = await this.db.transaction(async (trx) => {
      await repo.lockHistory(trx, job.device_id, 'exclusive');
      const q = await repo.finishIfQuiet(trx, job.id, this.opts.historyQuietMs);
      if (q && 'until' in q) {
        await repo.park(trx, job.id);
        await this.queue(trx, job, q.until);
      }
      return q;
    });
    if (r && 'until' in r) throw new Waiting(r.until);
    return r?.done ?? null;
  }

  /** The chat list's last message and time of these chats, from what is now stored (one statement). */
  private refreshSummaries(deviceId: string, jids: string[]) {
    return this.db.raw(
      `UPDATE chats c SET last_message_id = m.id, last_message_at = m.sent_at,
         last_message_preview = COALESCE(left(m.body, 140), '[' || m.type || ']'), updated_at = now()
       FROM (SELECT DISTINCT ON (m.chat_id) m.chat_id, m.id, m.sent_at, m.body, m.type FROM messages m JOIN chats c2 ON c2.id = m.chat_id
             WHERE c2.device_id = ? AND c2.jid = ANY(?::text[]) ORDER BY m.chat_id, m.sent_at DESC, m.id DESC) m
       WHERE c.id = m.chat_id AND (c.last_message_at IS NULL OR m.sent_at >= c.last_message_at)`,
      [deviceId, jids],
    );
  }

  private async allChats(adapter: EngineAdapter, session: EngineSession, signal: AbortSignal): Promise<EngineChat[]> {
    const out = new Map<string, EngineChat>();
    for (let offset = 0; ; offset += 200) {
      if (signal.aborted) throw new Stopped();
      const page = await adapter.listChats(session, { offset, limit: 200 });
      const before = out.size;
      for (const c of page) if (!out.has(c.jid)) out.set(c.jid, c);
      // A full page of chats already seen means the engine ignores the offset: paging on would never end.
      if (page.length < 200 || out.size === before) break;
    }
    // A stable order that survives restarts: the resume cursor is a jid.
    return [...out.values()].filter((c) => !c.jid.endsWith('@broadcast')).sort((a, b) => (a.jid < b.jid ? -1 : a.jid > b.jid ? 1 : 0));
  }

  private upsertChat(device: DeviceCtx, chat: EngineChat) {
    return this.db.raw(
      `INSERT INTO chats (org_id, device_id, jid, name, is_group) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (device_id, jid) DO UPDATE SET name = COALESCE(EXCLUDED.name, chats.name), updated_at = now()
       WHERE EXCLUDED.name IS NOT NULL AND EXCLUDED.name IS DISTINCT FROM chats.name`,
      [device.orgId, device.id, chat.jid, chat.name, chat.isGroup],
    );
  }

  /** The chat list's last message and time, from what is now stored. */
  private refreshChatSummary(device: DeviceCtx, jid: string) {
    return this.db.raw(
      `UPDATE chats c SET last_message_id = m.id, last_message_at = m.sent_at,
         last_message_preview = COALESCE(left(m.body, 140), '[' || m.type || ']'), updated_at = now()
       FROM (SELECT m.id, m.sent_at, m.body, m.type FROM messages m JOIN chats c2 ON c2.id = m.chat_id
             WHERE c2.device_id = ? AND c2.jid = ? ORDER BY m.sent_at DESC, m.id DESC LIMIT 1) m
       WHERE c.device_id = ? AND c.jid = ? AND (c.last_message_at IS NULL OR m.sent_at >= c.last_message_at)`,
      [device.id, jid, device.id, jid],
    );
  }

  /** `sync.progress` events, at most a few per second, and always the final one. */
  private async progress(job: repo.SyncJobRow, final = false) {
    const now = Date.now();
    if (!final && now - this.lastProgressEvent < 500) return;
    this.lastProgressEvent = now;
    await appendEvents(this.db, [{ orgId: job.org_id, deviceId: job.device_id, type: 'sync.progress', data: { deviceId: job.device_id, ...presentSyncJob(job) } }]);
  }
}
