import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { AppError, forbidden, notFound } from '../../platform/errors.js';
import type { EngineAdapter, EngineChat, EngineSession } from '../engines/engine.types.js';
import type { EngineRegistry } from '../engines/engine-registry.js';
import type { IngestService } from '../ingest/ingest.service.js';
import type { DeviceCtx } from '../ingest/ingest.types.js';
import { appendEvents } from '../realtime/event-log.js';
import type { DevicesService } from '../devices/devices.service.js';
import type { Actor } from '../../platform/http/auth-context.js';
import * as repo from './sync.repository.js';
import { presentSyncJob } from './sync.presenter.js';
import type { EventBus } from '../../platform/events/event-bus.js';

export interface SyncOptions {
  pageSize: number;
  maxMessagesPerChat: number; // 0 = all the engine holds
  staleMs: number;
  pollMs: number;
}

class Stopped extends Error {}

/**
 * History import: contacts and LID map, then every chat (in jid order) and its messages newest
 * first, page by page through the same idempotent ingest as live webhooks. Progress and a resume
 * cursor are saved after every page, so a restarted gateway continues where it stopped.
 */
export class SyncService {
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<void> | null = null;
  private stopping = false;
  private lastProgressEvent = 0;

  constructor(
    private readonly db: Knex,
    private readonly engines: EngineRegistry,
    private readonly ingest: IngestService,
    private readonly devices: DevicesService,
    private readonly opts: SyncOptions,
    private readonly logger: Logger,
    events: EventBus,
  ) {
    // A device's first connection starts its import.
    events.on('device.connected', 'sync.first-import', (d) => this.onFirstConnect({ id: d.deviceId, org_id: d.orgId }));
  }

  async request(actor: Actor, deviceId: string) {
    const { device, access } = await this.devices.visible(actor, deviceId);
    if (!['owner', 'agent', 'admin'].includes(access)) throw forbidden('Viewers cannot start an import');
    if (device.status !== 'connected') throw new AppError('device_not_connected', 409, 'The device must be connected to import its history');
    const job = await repo.enqueue(this.db, device.org_id, device.id, 'manual');
    this.kick();
    return presentSyncJob(job);
  }

  async status(actor: Actor, deviceId: string) {
    await this.devices.visible(actor, deviceId);
    const job = await repo.latestFor(this.db, deviceId);
    if (!job) throw notFound('Import');
    return presentSyncJob(job);
  }

  /** A device's first connection starts its import. */
  async onFirstConnect(device: { id: string; org_id: string }) {
    const job = await repo.enqueueFirst(this.db, device.org_id, device.id);
    if (job) {
      this.logger.info({ deviceId: device.id, jobId: job.id }, 'history import queued');
      this.kick();
    }
  }

  start() {
    this.stopping = false;
    this.timer = setInterval(() => this.kick(), this.opts.pollMs);
    this.timer.unref();
    this.kick();
  }

  /** Stops after the current page and hands the job back to the queue for the next process. */
  async stop() {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.current;
  }

  /** Runs queued jobs one after another until none is left. */
  kick() {
    if (this.current || this.stopping) return;
    this.current = (async () => {
      try {
        while (!this.stopping) {
          const job = await repo.claim(this.db, this.opts.staleMs);
          if (!job) break;
          await this.run(job);
        }
      } catch (err) {
        this.logger.error({ err }, 'sync worker failed');
      } finally {
        this.current = null;
      }
    })();
  }

  private async run(job: repo.SyncJobRow) {
    const row = await this.db('devices').where({ id: job.device_id }).whereNull('deleted_at').first();
    if (!row) return void (await repo.saveProgress(this.db, job.id, { status: 'cancelled', finished_at: new Date() }));
    const device: DeviceCtx = { id: row.id, orgId: row.org_id, engine: row.engine, status: row.status };
    const session: EngineSession = { engine: row.engine, session: row.engine_session, baseUrl: row.engine_url, token: row.engine_token, engineRef: row.engine_ref };
    const adapter = this.engines.adapter(row.engine);
    const log = this.logger.child({ jobId: job.id, deviceId: device.id });
    log.info({ cursor: job.cursor }, job.cursor ? 'history import resumed' : 'history import started');
    try {
      await this.importAll(job, device, session, adapter);
      const done = await repo.saveProgress(this.db, job.id, { status: 'done', finished_at: new Date() });
      if (done) await this.progress(done, true);
      log.info({ messages: done?.done_messages, imported: done?.imported_messages }, 'history import finished');
    } catch (err) {
      if (err instanceof Stopped) {
        await repo.release(this.db, job.id);
        log.info('history import paused for shutdown; it resumes on the next start');
        return;
      }
      log.warn({ err }, 'history import failed');
      const failed = await repo.saveProgress(this.db, job.id, { status: 'failed', error: (err as Error).message, finished_at: new Date() });
      if (failed) await this.progress(failed, true);
    }
  }

  private async importAll(job: repo.SyncJobRow, device: DeviceCtx, session: EngineSession, adapter: EngineAdapter) {
    let cursor: repo.SyncCursor = job.cursor ?? {};
    if (!cursor.contactsDone) {
      const [contacts, lids] = await Promise.all([adapter.listContacts(session), adapter.listLids(session).catch(() => [])]);
      await this.ingest.writeNow([
        { device, eventId: null, events: [...lids.map((m) => ({ kind: 'lid' as const, mapping: m })), ...contacts.map((c) => ({ kind: 'contact' as const, contact: c }))] },
      ], { history: true });
      cursor = { ...cursor, contactsDone: true };
      job = (await repo.saveProgress(this.db, job.id, { cursor })) ?? job;
    }

    const startedAt = job.started_at;
    const chats = await this.allChats(adapter, session);
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
        if (this.stopping) throw new Stopped();
        const limit = Math.min(this.opts.pageSize, max - offset);
        const page = await adapter.listMessages(session, chat.jid, { offset, limit });
        if (page.length) {
          // Messages newer than the import's start are live ones: their webhook stores them as such
          // (unread, pushed to browsers); stored here first, they would pass silently as history.
          const older = page.filter((m) => !startedAt || m.timestamp <= startedAt);
          const r = await this.ingest.writeNow([{ device, eventId: null, events: older.map((message) => ({ kind: 'message' as const, message })) }], { history: true });
          offset += page.length;
          cursor = { ...cursor, chatJid: chat.jid, msgOffset: offset };
          job = (await repo.saveProgress(this.db, job.id, {
            cursor,
            done_messages: job.done_messages + page.length,
            imported_messages: job.imported_messages + r.insertedMessages,
          })) ?? job;
          await this.progress(job);
        }
        // Only an empty page ends a chat: adapters drop malformed items, so a short page proves nothing.
        if (!page.length) break;
      }
      await this.refreshChatSummary(device, chat.jid);
      cursor = { contactsDone: true, afterJid: chat.jid, chatJid: null, msgOffset: 0 };
      job = (await repo.saveProgress(this.db, job.id, { cursor, done_chats: job.done_chats + 1 })) ?? job;
      await this.progress(job);
    }
  }

  private async allChats(adapter: EngineAdapter, session: EngineSession): Promise<EngineChat[]> {
    const out = new Map<string, EngineChat>();
    for (let offset = 0; ; offset += 200) {
      if (this.stopping) throw new Stopped();
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
