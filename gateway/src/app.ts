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

export interface AppDeps {
  config: Config;
  db: Db;
  logger: Logger;
}

export interface AppServices {
  auth: AuthService;
  users: UsersService;
  audit: AuditService;
}

/** The whole HTTP app without listening, so tests can serve it on port 0. */
export function createApp({ config, db, logger }: AppDeps): { app: Express; services: AppServices } {
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

  const document = buildDocument(registry, config.PUBLIC_URL);
  app.get('/api/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.use('/api/docs', swaggerUi.serve, swaggerUi.setup(document, { customSiteTitle: 'WhatsApp gateway API' }));

  app.use('/api', unknownRoute);
  serveWeb(app, config);
  app.use(unknownRoute);
  app.use(errorHandler);
  return { app, services: { auth, users, audit } };
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
