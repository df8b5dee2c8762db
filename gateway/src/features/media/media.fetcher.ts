import type { Knex } from 'knex';
import { PollingWorker } from '../../platform/polling-worker.js';
import type { Logger } from 'pino';
import type { EngineRegistry } from '../engines/engine-registry.js';
import { sessionOfDevice, type EngineKind } from '../engines/engine.types.js';
import { appendEvents } from '../realtime/event-log.js';
import { presentMessage, type MessageRow } from '../messages/messages.presenter.js';
import type { MediaService } from './media.service.js';
import type { EventBus } from '../../platform/events/event-bus.js';

const BATCH = 4;
const MAX_TRIES = 5;

interface Claimed {
  id: number;
  org_id: string;
  device_id: string;
  chat_id: number;
  media: { mimetype?: string | null; filename?: string | null; engineUrl?: string | null; fetchAttempts?: number };
  engine: EngineKind;
  engine_session: string;
  engine_url: string | null;
  engine_token: string | null;
  engine_ref: string | null;
}

/**
 * Fetches media that engines only link to (WAHA's media.url, which needs the API key) into the media
 * store, outside the webhook's path: claimed with SKIP LOCKED so replicas share the work, retried
 * with backoff, then announced with message.updated.
 */
export class MediaFetcher extends PollingWorker {
  constructor(
    private readonly db: Knex,
    private readonly engines: EngineRegistry,
    private readonly media: MediaService,
    private readonly opts: { pollMs: number; retryBaseMs: number },
    logger: Logger,
    events: EventBus,
  ) {
    super(opts.pollMs, logger, 'media fetch');
    // The row itself says what is left to fetch (found by the poll even after a crash); this only saves the wait.
    events.on('message.received', 'media.fetch-now', (m) => {
      if (m.remoteMedia) this.kick();
    });
  }

  protected async drain() {
    for (;;) {
      const rows = await this.claim();
      await Promise.all(rows.map((r) => this.fetchOne(r)));
      if (rows.length < BATCH || this.stopped) return;
    }
  }

  private async claim(): Promise<Claimed[]> {
    const { rows } = await this.db.raw(
      `WITH c AS (
         SELECT id FROM messages
         WHERE media->>'engineUrl' IS NOT NULL AND media->>'mediaId' IS NULL
           AND COALESCE((media->>'fetchAttempts')::int, 0) < ?
           AND COALESCE((media->>'fetchAfter')::timestamptz, '-infinity') <= now()
         ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED)
       UPDATE messages m SET media = m.media || jsonb_build_object(
           'fetchAttempts', COALESCE((m.media->>'fetchAttempts')::int, 0) + 1,
           'fetchAfter', now() + interval '2 minutes') -- a lease: another replica takes over if this one dies
       FROM c, devices d
       WHERE m.id = c.id AND d.id = m.device_id
       RETURNING m.id, m.org_id, m.device_id, m.chat_id, m.media, d.engine, d.engine_session, d.engine_url, d.engine_token, d.engine_ref`,
      [MAX_TRIES, BATCH],
    );
    return rows as Claimed[];
  }

  private async fetchOne(r: Claimed) {
    try {
      const session = sessionOfDevice(r);
      const adapter = this.engines.adapter(r.engine, session);
      const got = await adapter.downloadMedia(session, { url: r.media.engineUrl, mimetype: r.media.mimetype ?? null, filename: r.media.filename ?? null }, this.media.maxBytes);
      const mimetype = got.mimetype ?? 'application/octet-stream';
      const stored = await this.media.save({ orgId: r.org_id, deviceId: r.device_id }, got.data, mimetype, r.media.filename ?? null);
      await this.db.transaction(async (trx) => {
        const { rows } = await trx.raw(
          `UPDATE messages SET media = (media - 'fetchAfter' - 'fetchError') || jsonb_build_object('mediaId', ?::text, 'size', ?::bigint, 'mimetype', ?::text), updated_at = now()
           WHERE id = ? RETURNING *`,
          [stored.id, stored.size, mimetype, r.id],
        );
        const m = rows[0] as MessageRow | undefined;
        if (m) await appendEvents(trx, [{ orgId: r.org_id, deviceId: r.device_id, chatId: Number(r.chat_id), type: 'message.updated', data: presentMessage(m) }]);
      });
    } catch (err) {
      const tries = r.media.fetchAttempts ?? 1;
      const delayMs = Math.min(this.opts.retryBaseMs * 2 ** (tries - 1), 10 * 60_000);
      this.logger.warn({ err, messageId: r.id, tries }, 'media fetch failed');
      await this.db
        .raw(`UPDATE messages SET media = media || jsonb_build_object('fetchAfter', now() + (? * interval '1 millisecond'), 'fetchError', ?::text) WHERE id = ?`, [
          delayMs,
          String((err as Error).message ?? err).slice(0, 300),
          r.id,
        ])
        .catch((e) => this.logger.warn({ err: e }, 'could not record a media fetch failure'));
    }
  }
}
