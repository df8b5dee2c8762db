import path from 'node:path';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
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
import { Api, errorShapeGuard } from './platform/http/api.js';
import { bodyGuard, urlGuard } from './platform/http/input-guard.js';
import { auditRoutes } from './features/audit/audit.routes.js';
import { usersRoutes } from './features/users/users.routes.js';
import { authenticate } from './features/auth/auth.middleware.js';
import { LoginLimiter } from './features/auth/login-rate-limit.js';
import { authRoutes } from './features/auth/auth.routes.js';
import { healthRoutes } from './features/health/health.routes.js';
import { contactsRoutes } from './features/contacts/contacts.routes.js';
import { tagsRoutes } from './features/tags/tags.routes.js';
import { favoritesRoutes } from './features/favorites/favorites.routes.js';
import { devicesRoutes } from './features/devices/devices.routes.js';
import { webhooksRoutes } from './features/webhooks/webhooks.routes.js';
import { webhookEdge } from './features/webhooks/webhooks.edge.js';
import { syncRoutes } from './features/sync/sync.routes.js';
import type { BackgroundJobs } from './background.js';
import { buildServices, type Services } from './services.js';
import { ProxyService } from './features/proxy/proxy.service.js';
import { proxyRoutes } from './features/proxy/proxy.routes.js';
// --- conversations (reading, search, shares) route imports ---
import { chatsRoutes } from './features/chats/chats.routes.js';
import { messagesRoutes } from './features/messages/messages.routes.js';
import { sharesRoutes } from './features/shares/shares.routes.js';
import { searchRoutes } from './features/search/search.routes.js';
// --- end conversations route imports ---
// --- outbox and media route imports ---
import { outboxRoutes } from './features/outbox/outbox.routes.js';
import { mediaRoutes } from './features/media/media.routes.js';
// --- end outbox and media route imports ---
// --- system (demo info for the web) route imports ---
import { systemRoutes } from './features/system/system.routes.js';
// --- end system route imports ---
// --- realtime route imports ---
import { realtimeRoutes } from './features/realtime/realtime.routes.js';
// --- end realtime route imports ---

export interface AppDeps {
  config: Config;
  db: Db;
  logger: Logger;
  /**
   * Tests: check every answer against its route's response schema (a mismatch is a 500), every error
   * answer against the error shape, and every socket event against `RealtimeEvent`.
   */
  validateResponses?: boolean;
}

export type AppServices = Services;

/** The whole HTTP app without listening, so tests can serve it on port 0. */
export interface CreatedApp {
  app: Express;
  /** What the HTTP server runs: the webhook edge first, then the Express app. */
  handler(req: IncomingMessage, res: ServerResponse): void;
  services: AppServices;
  background: BackgroundJobs;
  /** `validateEvents` (default: as validateResponses): check every socket event against RealtimeEvent. */
  attach(server: Server, opts?: { validateEvents?: boolean }): void;
  /** The OpenAPI document served at /api/openapi.json (also what `npm run gen:api` turns into web types). */
  openapi: ReturnType<typeof buildDocument>;
}

export function createApp({ config, db, logger, validateResponses }: AppDeps): CreatedApp {
  const services = buildServices(config, db, logger);
  const { auth, users, audit, contacts, tags, favorites, engines, devices, webhooks, sync, background } = services;

  const registry = createRegistry();
  const api = new Api(registry, { authenticate: authenticate(auth), validateResponses });
  const metrics = createMetrics(db);
  services.events.metrics(metrics.registry);
  services.jobs.metrics(metrics.registry);
  services.ingest.metrics(metrics.registry);
  auth.attachMetrics(metrics.registry);
  webhooks.attachMetrics(metrics.registry);

  const app = express();
  app.disable('x-powered-by');
  // API answers are per-user and live (the socket says when to refetch): no SHA-1 of every body for
  // an ETag nobody revalidates. Static web files keep their own ETags.
  app.set('etag', false);
  app.set('trust proxy', config.TRUST_PROXY);
  app.use(requestLogger(logger));
  if (validateResponses) app.use(errorShapeGuard);
  app.use(metrics.middleware);
  // Engine → gateway, before browser concerns (security headers, CORS) and before the JSON parser:
  // webhook signatures cover the exact raw bytes.
  app.use(webhooksRoutes(registry, webhooks, config.WEBHOOK_BODY_LIMIT));
  // Bad escapes, NUL and lone surrogates are a 400 here, before any route or statement sees them.
  app.use(urlGuard);
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: { 'img-src': ["'self'", 'data:', 'blob:'], 'media-src': ["'self'", 'blob:'], 'connect-src': ["'self'", 'ws:', 'wss:'] },
      },
    }),
  );
  // With no origin allowed, cors() would only call next(): not mounted at all then.
  if (config.corsOrigins.length) app.use(cors({ origin: config.corsOrigins, credentials: false, exposedHeaders: ['X-Request-Id', 'Retry-After'] }));
  app.use(express.json({ limit: config.BODY_LIMIT }));
  app.use(bodyGuard);

  app.use(healthRoutes(db));
  app.get('/metrics', metrics.handler);

  authRoutes(api, auth, new LoginLimiter(db, {
    windowSeconds: config.LOGIN_RATE_WINDOW_SECONDS,
    perIp: config.LOGIN_RATE_MAX_PER_IP,
    perEmailAndIp: config.LOGIN_RATE_MAX_PER_EMAIL,
    slowdownAfter: config.LOGIN_SLOWDOWN_AFTER,
    slowdownWindowSeconds: config.LOGIN_SLOWDOWN_WINDOW_SECONDS,
    slowdownBaseMs: config.LOGIN_SLOWDOWN_BASE_MS,
    slowdownMaxMs: config.LOGIN_SLOWDOWN_MAX_MS,
  }));
  usersRoutes(api, users);
  auditRoutes(api, audit);
  contactsRoutes(api, contacts, { db, audit, importMaxRows: config.CONTACTS_IMPORT_MAX_ROWS, importMaxBytes: config.CONTACTS_IMPORT_MAX_BYTES });
  tagsRoutes(api, tags);
  favoritesRoutes(api, favorites);
  devicesRoutes(api, devices);
  syncRoutes(api, sync);
  // --- conversations (reading, search, shares) routes ---
  chatsRoutes(api, services.chats);
  messagesRoutes(api, services.messages);
  sharesRoutes(api, services.shares);
  searchRoutes(api, services.search);
  // --- end conversations routes ---
  // --- outbox and media routes ---
  outboxRoutes(api, services.outbox, { mediaMaxBytes: config.MEDIA_MAX_BYTES });
  mediaRoutes(api, services.media);
  // --- end outbox and media routes ---
  // --- realtime routes ---
  app.use(realtimeRoutes(registry));
  // --- end realtime routes ---
  // --- system (demo info for the web) routes ---
  systemRoutes(api, config);
  // --- end system routes ---
  app.use(api.router);
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
  const edge = webhookEdge({ webhooks, logger, bodyLimit: config.WEBHOOK_BODY_LIMIT, observe: metrics.observe });
  let httpServer: Server | undefined;
  return {
    app,
    openapi: document,
    handler: (req, res) => {
      // After close(), Node still serves a kept-alive connection that was busy at that moment, for as
      // long as its client keeps sending on it (engines post webhooks all the time), so close() would
      // never finish: what comes after close() is answered with Connection: close.
      if (httpServer && !httpServer.listening) res.shouldKeepAlive = false;
      if (!edge(req, res)) app(req, res);
    },
    services,
    background,
    /** Hooks what needs the HTTP server itself (the WebSocket endpoint /ws). */
    attach(server: Server, opts: { validateEvents?: boolean } = {}) {
      httpServer = server;
      // --- realtime attach ---
      services.realtime.attach(server, metrics.registry, { validateEvents: opts.validateEvents ?? validateResponses });
      // --- end realtime attach ---
      void server;
    },
  };
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
