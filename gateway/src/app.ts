import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import express, { type Express } from 'express';
import helmet from 'helmet';
import cors from 'cors';
import swaggerUi from 'swagger-ui-express';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import type { Db } from './platform/db/knex.js';
import { errorHandler, unknownRoute } from './platform/errors.js';
import { requestLogger } from './platform/logger.js';
import { createMetrics } from './platform/metrics.js';
import { buildDocument, createRegistry } from './platform/openapi.js';
import { Api } from './platform/http/api.js';
import { AuditService } from './features/audit/audit.service.js';
import { auditRoutes } from './features/audit/audit.routes.js';
import { UsersService } from './features/users/users.service.js';
import { usersRoutes } from './features/users/users.routes.js';
import { AccessTokens } from './features/auth/access-tokens.js';
import { ExternalIdentity } from './features/auth/external-identity.js';
import { AuthService } from './features/auth/auth.service.js';
import { authenticate } from './features/auth/auth.middleware.js';
import { loginRateLimits } from './features/auth/login-rate-limit.js';
import { authRoutes } from './features/auth/auth.routes.js';
import { healthRoutes } from './features/health/health.routes.js';
import { ContactsService } from './features/contacts/contacts.service.js';
import { contactsRoutes } from './features/contacts/contacts.routes.js';
import { TagsService } from './features/tags/tags.service.js';
import { tagsRoutes } from './features/tags/tags.routes.js';
import { FavoritesService } from './features/favorites/favorites.service.js';
import { favoritesRoutes } from './features/favorites/favorites.routes.js';
import { EngineRegistry } from './features/engines/engine-registry.js';
import { DevicesService } from './features/devices/devices.service.js';
import { devicesRoutes } from './features/devices/devices.routes.js';
import { IngestService } from './features/ingest/ingest.service.js';
import { WebhooksService } from './features/webhooks/webhooks.service.js';
import { webhooksRoutes } from './features/webhooks/webhooks.routes.js';
import { SyncService } from './features/sync/sync.service.js';
import { syncRoutes } from './features/sync/sync.routes.js';
import { BackgroundJobs } from './background.js';
import { ProxyService } from './features/proxy/proxy.service.js';
import { proxyRoutes } from './features/proxy/proxy.routes.js';

export interface AppDeps {
  config: Config;
  db: Db;
  logger: Logger;
}

export interface AppServices {
  auth: AuthService;
  users: UsersService;
  audit: AuditService;
  contacts: ContactsService;
  tags: TagsService;
  favorites: FavoritesService;
  engines: EngineRegistry;
  devices: DevicesService;
  ingest: IngestService;
  webhooks: WebhooksService;
  sync: SyncService;
}

/** The whole HTTP app without listening, so tests can serve it on port 0. */
export function createApp({ config, db, logger }: AppDeps): { app: Express; services: AppServices; background: BackgroundJobs } {
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
  const auth = new AuthService(db, users, access, config.REFRESH_TOKEN_TTL_DAYS, external);
  const contacts = new ContactsService(db, audit, config.PHONE_DEFAULT_REGION);
  const tags = new TagsService(db, audit);
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
  const devices = new DevicesService(db, engines, audit, { webhookBaseUrl: config.WEBHOOK_BASE_URL, defaultEngine: config.ENGINE_DEFAULT }, logger);
  const ingest = new IngestService(db, logger, { maxItems: config.INGEST_BATCH_MAX, maxWaitMs: config.INGEST_BATCH_WAIT_MS });
  const webhooks = new WebhooksService(db, engines, ingest, { allowUnsignedWuzapi: config.WEBHOOK_ALLOW_UNSIGNED_WUZAPI }, logger);
  const sync = new SyncService(db, engines, ingest, devices, {
    pageSize: config.SYNC_PAGE_SIZE,
    maxMessagesPerChat: config.SYNC_MAX_MESSAGES_PER_CHAT,
    staleMs: config.SYNC_STALE_MS,
    pollMs: 2_000,
  }, logger);
  // A device's first connection, seen by a webhook or by the device service, starts its import.
  devices.onConnected = (d) => void sync.onFirstConnect(d).catch((err) => logger.error({ err }, 'could not queue import'));
  ingest.onStatusChanges = (changes) => {
    for (const c of changes) {
      webhooks.forget(c.deviceId);
      if (c.to === 'connected') void db('devices').where({ id: c.deviceId }).first().then((d) => d && devices.onConnected(d));
    }
  };
  const background = new BackgroundJobs({ db, devices, ingest, sync, logger, reconcileMs: config.RECONCILE_INTERVAL_MS, receiptRetentionHours: config.WEBHOOK_RECEIPT_RETENTION_HOURS });

  const registry = createRegistry();
  const api = new Api(registry, { authenticate: authenticate(auth) });
  const metrics = createMetrics(db);

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.TRUST_PROXY);
  app.use(requestLogger(logger));
  app.use(metrics.middleware);
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: { 'img-src': ["'self'", 'data:', 'blob:'], 'connect-src': ["'self'", 'ws:', 'wss:'] },
      },
    }),
  );
  app.use(cors({ origin: config.corsOrigins.length ? config.corsOrigins : false, credentials: false, exposedHeaders: ['X-Request-Id', 'Retry-After'] }));
  // Before the JSON parser: webhook signatures cover the exact raw bytes.
  app.use(webhooksRoutes(registry, webhooks, config.WEBHOOK_BODY_LIMIT));
  app.use(express.json({ limit: config.BODY_LIMIT }));

  app.use(healthRoutes(db));
  app.get('/metrics', metrics.handler);

  app.use(authRoutes(api, auth, loginRateLimits({
    windowSeconds: config.LOGIN_RATE_WINDOW_SECONDS,
    perIp: config.LOGIN_RATE_MAX_PER_IP,
    perEmail: config.LOGIN_RATE_MAX_PER_EMAIL,
  })));
  app.use(usersRoutes(api, users));
  app.use(auditRoutes(api, audit));
  app.use(contactsRoutes(api, contacts, { db, audit, importMaxRows: config.CONTACTS_IMPORT_MAX_ROWS, importMaxBytes: config.CONTACTS_IMPORT_MAX_BYTES }));
  app.use(tagsRoutes(api, tags));
  app.use(favoritesRoutes(api, favorites));
  app.use(devicesRoutes(api, devices));
  app.use(syncRoutes(api, sync));
  app.use(proxyRoutes(registry, new ProxyService(db, engines), authenticate(auth), config.ENGINE_TIMEOUT_MS));

  const document = buildDocument(registry, config.PUBLIC_URL);
  app.get('/api/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.use('/api/docs', swaggerUi.serve, swaggerUi.setup(document, { customSiteTitle: 'WhatsApp gateway API' }));

  app.use('/api', unknownRoute);
  serveWeb(app, config);
  app.use(unknownRoute);
  app.use(errorHandler);
  return { app, services: { auth, users, audit, contacts, tags, favorites, engines, devices, ingest, webhooks, sync }, background };
}

/** The built web app, same origin as the API; any non-API path falls back to index.html for the router. */
function serveWeb(app: Express, config: Config) {
  const dir = config.WEB_DIST_DIR ? path.resolve(config.WEB_DIST_DIR) : fileURLToPath(new URL('../../web/dist', import.meta.url));
  if (!existsSync(path.join(dir, 'index.html'))) return;
  app.use(express.static(dir, { index: false, maxAge: '1h' }));
  app.get(/^\/(?!api\/|ws$|webhooks\/|metrics$|healthz$|readyz$).*/, (req, res, next) => {
    if (!req.accepts('html')) return next();
    res.sendFile(path.join(dir, 'index.html'));
  });
}
