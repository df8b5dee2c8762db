import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { AuditService } from './features/audit/audit.service.js';
import { UsersService } from './features/users/users.service.js';
import { AccessTokens } from './features/auth/access-tokens.js';
import { ExternalIdentity } from './features/auth/external-identity.js';
import { AuthService } from './features/auth/auth.service.js';
import { ContactsService } from './features/contacts/contacts.service.js';
import { TagsService } from './features/tags/tags.service.js';
import { FavoritesService } from './features/favorites/favorites.service.js';
import { EngineRegistry } from './features/engines/engine-registry.js';
import { DevicesService } from './features/devices/devices.service.js';
import { IngestService } from './features/ingest/ingest.service.js';
import { WebhooksService } from './features/webhooks/webhooks.service.js';
import { SyncService } from './features/sync/sync.service.js';
import { BackgroundJobs } from './background.js';
import { EventBus } from './platform/events/event-bus.js';
import { DurableConsumers } from './platform/events/durable-consumers.js';
import { JobQueue } from './platform/jobs/job-queue.js';
// --- conversations (reading, search, shares) imports ---
import { ChatsService } from './features/chats/chats.service.js';
import { MessagesService } from './features/messages/messages.service.js';
import { SharesService } from './features/shares/shares.service.js';
import { SearchService } from './features/search/search.service.js';
// --- end conversations imports ---
// --- outbox and media imports ---
import { createMediaStore } from './features/media/media.store.js';
import { MediaService } from './features/media/media.service.js';
import { MediaFetcher } from './features/media/media.fetcher.js';
import { OutboxWorker } from './features/outbox/outbox.worker.js';
import { OutboxService } from './features/outbox/outbox.service.js';
// --- end outbox and media imports ---
// --- realtime imports ---
import { RealtimeService } from './features/realtime/realtime.service.js';
// --- end realtime imports ---

/**
 * Every service of the gateway, built once from configuration. Features call each other only
 * through these services; app.ts mounts their routes. Nothing is wired here: a feature that reacts
 * to another's facts registers its own listeners on `events` (platform/events/).
 */
export function buildServices(config: Config, db: Knex, logger: Logger) {
  const events = new EventBus(logger.child({ component: 'events' }));
  // One durable job queue: features define their jobs on it where they are built.
  const jobs = new JobQueue(db, { concurrency: config.JOB_CONCURRENCY, pollMs: 1_000 }, logger.child({ component: 'jobs' }));
  const audit = new AuditService(db);
  const users = new UsersService(db, audit, config.BCRYPT_COST, config.USER_CACHE_TTL_MS);
  const access = new AccessTokens({
    secret: config.JWT_SECRET,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
  });
  const external =
    config.AUTH_JWKS_URL && config.AUTH_JWKS_ISSUER && config.AUTH_JWKS_AUDIENCE && config.AUTH_EXTERNAL_ORG_ID
      ? {
          identity: new ExternalIdentity({ jwksUrl: config.AUTH_JWKS_URL, issuer: config.AUTH_JWKS_ISSUER, audience: config.AUTH_JWKS_AUDIENCE }),
          orgId: config.AUTH_EXTERNAL_ORG_ID,
        }
      : undefined;
  const auth = new AuthService(db, users, access, config.REFRESH_TOKEN_TTL_DAYS, external, audit);
  const contacts = new ContactsService(db, audit, config.PHONE_DEFAULT_REGION, events);
  const tags = new TagsService(db, audit, (trx, orgId, ids) => contacts.announce(trx, orgId, ids));
  const favorites = new FavoritesService(db);

  const engines = new EngineRegistry(
    {
      wahaUrl: config.WAHA_URL,
      wahaApiKey: config.WAHA_API_KEY,
      wahaSessionMode: config.WAHA_SESSION_MODE,
      wuzapiUrl: config.WUZAPI_URL,
      wuzapiAdminToken: config.WUZAPI_ADMIN_TOKEN,
      timeoutMs: config.ENGINE_TIMEOUT_MS,
      retries: config.ENGINE_RETRIES,
    },
    logger,
  );
  const devices = new DevicesService(db, engines, audit, { webhookBaseUrl: config.WEBHOOK_BASE_URL, defaultEngine: config.ENGINE_DEFAULT, reconcileMs: config.RECONCILE_INTERVAL_MS }, logger, events, jobs);
  // Media and the outbox's sender come first: webhooks store inline media, the ingest waits for sends in flight.
  const media = new MediaService(db, createMediaStore(config), config.MEDIA_MAX_BYTES);
  const outboxWorker = new OutboxWorker(db, engines, media, {
    pollMs: config.OUTBOX_POLL_MS,
    retryBaseMs: config.OUTBOX_RETRY_BASE_MS,
    maxAttempts: config.OUTBOX_MAX_ATTEMPTS,
    leaseMs: Math.max(30_000, 3 * config.ENGINE_TIMEOUT_MS),
  }, logger.child({ component: 'outbox' }), events);
  const ingest = new IngestService(db, logger, { maxItems: config.INGEST_BATCH_MAX, maxWaitMs: config.INGEST_BATCH_WAIT_MS, concurrency: config.INGEST_CONCURRENCY, parkedSweepMs: config.INGEST_PARKED_SWEEP_MS }, events, outboxWorker, jobs);
  const sync = new SyncService(db, engines, ingest, devices, {
    pageSize: config.SYNC_PAGE_SIZE,
    maxMessagesPerChat: config.SYNC_MAX_MESSAGES_PER_CHAT,
    staleMs: config.SYNC_STALE_MS,
    maxAttempts: config.SYNC_MAX_ATTEMPTS,
    historyQuietMs: config.SYNC_HISTORY_QUIET_SECONDS * 1000,
  }, logger, events, jobs);
  // History pushes are stored and counted on the device's import in one transaction (sync's).
  const webhooks = new WebhooksService(db, engines, ingest, media, { allowUnsignedWuzapi: config.WEBHOOK_ALLOW_UNSIGNED_WUZAPI }, logger, events, sync);


  // --- conversations (reading, search, shares) services ---
  const chats = new ChatsService(db, contacts, engines, logger, config.PHONE_DEFAULT_REGION, { channelsInChatList: config.CHANNELS_IN_CHAT_LIST });
  const messages = new MessagesService(db, audit, contacts);
  const shares = new SharesService(db, chats, audit);
  const search = new SearchService(db);
  // --- end conversations services ---
  // --- outbox and media services ---
  const mediaFetcher = new MediaFetcher(db, engines, media, { pollMs: Math.max(config.OUTBOX_POLL_MS, 500), retryBaseMs: config.OUTBOX_RETRY_BASE_MS }, logger.child({ component: 'media' }), events);
  const outbox = new OutboxService(db, media, outboxWorker, config.PHONE_DEFAULT_REGION);
  // --- end outbox and media services ---
  // --- realtime services ---
  const realtime = new RealtimeService(
    db,
    async (token) => ({ user: await auth.authenticate(token), expiresAt: auth.expiryOf(token) }),
    { retentionHours: config.EVENTS_RETENTION_HOURS, heartbeatMs: config.WS_HEARTBEAT_MS, maxBufferBytes: config.WS_MAX_BUFFER_BYTES, authTimeoutMs: config.WS_AUTH_TIMEOUT_MS },
    logger.child({ component: 'realtime' }),
    jobs,
  );
  // --- end realtime services ---
  const background = new BackgroundJobs({
    db, jobs, ingest, logger, receiptRetentionHours: config.WEBHOOK_RECEIPT_RETENTION_HOURS,
    workers: [outboxWorker, mediaFetcher, new DurableConsumers(db, events, { pollMs: 1_000 }, logger.child({ component: 'events' }))],
  });

  return {
    events, jobs, auth, users, audit, contacts, tags, favorites, engines, devices, ingest, webhooks, sync, background,
    // --- services list (each block adds its names on its own line) ---
    chats, messages, shares, search,
    realtime, // realtime
    media, outbox, // outbox and media
    // --- end services list ---
  };
}

export type Services = ReturnType<typeof buildServices>;
