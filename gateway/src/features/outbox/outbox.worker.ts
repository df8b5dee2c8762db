import type { Knex } from 'knex';
import { PollingWorker } from '../../platform/polling-worker.js';
import type { Logger } from 'pino';
import { AppError } from '../../platform/errors.js';
import type { EngineRegistry } from '../engines/engine-registry.js';
import { sessionOfDevice, type EngineAdapter, type EngineSession, type ReplyRef, type SendResult } from '../engines/engine.types.js';
import type { MediaService } from '../media/media.service.js';
import * as repo from './outbox.repository.js';
import type { EventBus } from '../../platform/events/event-bus.js';

export interface OutboxOptions {
  pollMs: number;
  retryBaseMs: number;
  maxAttempts: number;
  /** How long a claimed send is ours before another replica may take it (it outlives an engine call). */
  leaseMs: number;
  batch?: number;
}

/** How long an echo of our own send waits for that send's answer before it is joined to its row instead. */
const ECHO_WAIT_MS = 500;

/** Failures that prove the engine did not take the message; anything else (a timeout, a reset) may have sent it. */
function certainlyNotSent(err: unknown): boolean {
  if (!(err instanceof AppError)) return false;
  if (err.code === 'engine_rejected' || err.code === 'engine_not_configured' || err.code === 'engine_session_incomplete') return true;
  return err.code === 'engine_unreachable' && /ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(err.message);
}

/**
 * Refusals no retry can change: the engine read the request and said no to it (a bad recipient, a
 * file it will not take). A session that is not ready (WAHA 422), auth, rate limits and server
 * errors may pass, so they are retried.
 */
function permanentRefusal(err: unknown): boolean {
  if (!(err instanceof AppError)) return false;
  if (err.code === 'media_missing') return true;
  const status = (err.details as { engineStatus?: number } | undefined)?.engineStatus;
  return err.code === 'engine_rejected' && (status === 400 || status === 413 || status === 415);
}

/**
 * Delivers pending messages: polls, and is kicked right after each insert. Replicas share the work
 * through SKIP LOCKED claims with a lease. A retry after an uncertain attempt first makes sure the
 * engine does not already have the message: WuzAPI by reusing the id chosen before the first
 * attempt, WAHA by looking for it among the chat's latest messages (its echo joins it otherwise).
 */
export class OutboxWorker extends PollingWorker {
  constructor(
    private readonly db: Knex,
    private readonly engines: EngineRegistry,
    private readonly media: MediaService,
    private readonly opts: OutboxOptions,
    logger: Logger,
    private readonly events: EventBus,
  ) {
    super(opts.pollMs, logger, 'outbox');
  }

  private readonly delivering = new Set<Promise<void>>();
  /** Chats this process is delivering to; `kick` when a send was written meanwhile that no lease took. */
  private readonly chatsInFlight = new Map<number, { kick: boolean }>();

  /** How long a send claimed along the way (at insert, or as a chat's next) is ours; null while stopping. */
  get leaseMs(): number | null {
    return this.stopped ? null : this.opts.leaseMs;
  }

  /** A send was written pending, not leased: a claim finds it, unless this process is delivering to its chat (that leases it next). */
  written(chatId: number) {
    const flight = this.chatsInFlight.get(chatId);
    if (flight) flight.kick = true;
    else this.kick();
  }

  /** Per device, the sends between their engine call and their row marked sent. */
  private readonly sending = new Map<string, Set<Promise<void>>>();

  /**
   * Resolves once the device's sends now in flight are marked sent or failed, or after
   * ECHO_WAIT_MS (a slow engine call must not hold a webhook's answer long); null when none are.
   */
  settled(deviceId: string): Promise<void> | null {
    const now = this.sending.get(deviceId);
    if (!now?.size) return null;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((r) => (timer = setTimeout(r, ECHO_WAIT_MS)));
    return Promise.race([Promise.allSettled([...now]), late]).then(() => clearTimeout(timer));
  }

  private inFlight(deviceId: string): () => void {
    let done!: () => void;
    const p = new Promise<void>((r) => (done = r));
    const set = this.sending.get(deviceId) ?? new Set();
    this.sending.set(deviceId, set.add(p));
    return () => {
      done();
      set.delete(p);
      if (!set.size) this.sending.delete(deviceId);
    };
  }

  /** Set when a claim found no room: a delivery that ends then claims again. */
  private full = false;

  /** Delivers a send claimed by this process (at insert, or by a claim), then its chat's next ones. */
  deliverLeased(row: repo.Claimed) {
    // Leased just before stop() (the send's answer schedules this): left to its lease, which runs out and
    // a claim delivers it (another replica, or this one restarted), as after a crash before the engine call.
    if (this.stopped) return;
    const p: Promise<void> = this.deliverChat(row)
      .then((due) => {
        if (!due && !this.full) return;
        this.full = false;
        this.kick();
      })
      .catch((err) => this.logger.warn({ err, messageId: row.id }, 'outbox delivery failed'))
      .finally(() => this.delivering.delete(p));
    this.delivering.add(p);
  }

  override async stop() {
    await super.stop();
    await Promise.allSettled([...this.delivering]);
  }

  /** Claims what is due, up to `batch` deliveries in flight; each chat's chain then runs on its own. */
  protected async drain() {
    const batch = this.opts.batch ?? 16;
    for (;;) {
      this.again = false;
      const room = batch - this.delivering.size;
      if (room <= 0) {
        this.full = true;
        return;
      }
      const rows = await repo.claimDue(this.db, room, this.opts.leaseMs);
      for (const row of rows) this.deliverLeased(row);
      if (this.stopped || rows.length < room) return;
    }
  }

  /**
   * Delivers a claimed send, then the chat's next ones as each send leases its successor. Resolves
   * true when something may be due that this chain did not take.
   */
  private async deliverChat(first: repo.Claimed): Promise<boolean> {
    const chatId = Number(first.chat_id);
    const flight = this.chatsInFlight.has(chatId) ? null : { kick: false };
    if (flight) this.chatsInFlight.set(chatId, flight);
    let due = false;
    try {
      for (let row: repo.Claimed | null = first; row; ) ({ next: row, due } = await this.deliver(row));
    } finally {
      if (flight) this.chatsInFlight.delete(chatId);
    }
    return due || !!flight?.kick;
  }

  private async deliver(row: repo.Claimed): Promise<{ next: repo.Claimed | null; due: boolean }> {
    const failedForGood = { next: null, due: true }; // the chat's next message is due
    if (row.device_deleted_at) {
      await repo.markFailure(this.db, row, 'device_deleted: the device was removed', false, { ...this.opts, maxAttempts: 0 });
      return failedForGood;
    }
    const session: EngineSession = sessionOfDevice(row);
    const landed = this.inFlight(row.device_id);
    try {
      const adapter = this.engines.adapter(row.engine, session);
      let plannedId = row.engine_message_id;
      if (!plannedId) {
        const id = adapter.newMessageId();
        if (id) plannedId = await repo.planEngineId(this.db, row.id, id);
      }
      if (row.was_uncertain && !plannedId) {
        const found = await this.alreadyOnEngine(adapter, session, row);
        if (found) return await this.sent(row, found);
      }
      return await this.sent(row, await this.send(adapter, session, row, plannedId));
    } catch (err) {
      const reason = err instanceof AppError ? `${err.code}: ${err.message}` : `internal: ${(err as Error).message ?? String(err)}`;
      this.logger.warn({ messageId: row.id, attempt: row.attempts, reason }, 'send attempt failed');
      const opts = permanentRefusal(err) ? { ...this.opts, maxAttempts: 0 } : this.opts; // failed at once
      const failed = await repo.markFailure(this.db, row, reason, !certainlyNotSent(err), opts).catch((e) => {
        this.logger.error({ err: e, messageId: row.id }, 'could not record a failed send');
        return null;
      });
      return failed?.ack === -1 ? failedForGood : { next: null, due: false };
    } finally {
      landed();
    }
  }

  private async sent(row: repo.Claimed, result: SendResult) {
    const { next, hasNext, sent } = await repo.markSent(this.db, row, result, this.leaseMs);
    // Published before this send counts as landed (see `settled`): the ingest then knows its echo needs no join.
    if (sent) this.events.publish('message.sent', { orgId: row.org_id, deviceId: row.device_id, chatId: Number(row.chat_id), messageId: Number(row.id), ...sent });
    return { next, due: hasNext };
  }

  private async send(adapter: EngineAdapter, session: EngineSession, row: repo.Claimed, id: string | null): Promise<SendResult> {
    const replyTo = await this.replyRef(row);
    const mediaRef = row.media?.mediaId ? row.media : null;
    if (!mediaRef) return adapter.sendText(session, { chatJid: row.chat_jid, text: row.body ?? '', replyTo, id });
    const stored = await this.media.row(mediaRef.mediaId!);
    const file = stored ? await this.media.store.get(stored.storage_key) : null;
    if (!stored || !file) throw new AppError('media_missing', 500, 'The stored file of this message is gone');
    const data = await streamToBuffer(file.stream);
    const kind = row.type === 'image' ? 'image' : row.type === 'audio' ? 'audio' : 'document';
    return adapter.sendMedia(session, {
      chatJid: row.chat_jid, kind, mimetype: stored.mimetype, filename: stored.filename ?? 'file', data, caption: row.body, replyTo, id,
    });
  }

  private async replyRef(row: repo.Claimed): Promise<ReplyRef | null> {
    if (!row.reply_to_engine_id) return null;
    const t = await repo.replyTarget(this.db, row.device_id, row.reply_to_engine_id);
    if (!t) return { id: row.reply_to_engine_id, fromMe: false };
    return { id: t.engine_message_id, engineFullId: t.engine_full_id, fromMe: t.direction === 'out', senderJid: t.sender_jid };
  }

  /** After an attempt that may have gone through: our message among the chat's latest, not yet claimed by another row. */
  private async alreadyOnEngine(adapter: EngineAdapter, session: EngineSession, row: repo.Claimed): Promise<SendResult | null> {
    const latest = await adapter.listMessages(session, row.chat_jid, { offset: 0, limit: 20 });
    const since = new Date(row.created_at).getTime() - 60_000;
    const candidates = latest.filter((m) => m.fromMe && (m.body ?? '') === (row.body ?? '') && !!m.media === !!row.media && m.timestamp.getTime() >= since);
    if (!candidates.length) return null;
    const taken = new Set(
      (await this.db('messages').where('device_id', row.device_id).whereIn('engine_message_id', candidates.map((m) => m.id)).select('engine_message_id')).map(
        (r: { engine_message_id: string }) => r.engine_message_id,
      ),
    );
    const m = candidates.reverse().find((c) => !taken.has(c.id)); // oldest unclaimed first (the list is newest first)
    return m ? { id: m.id, engineFullId: m.engineFullId ?? null, timestamp: m.timestamp } : null;
  }
}

async function streamToBuffer(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks);
}
