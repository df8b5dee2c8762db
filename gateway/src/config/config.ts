import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { configSchema, type RawConfig } from './config.schema.js';

export type Config = RawConfig & {
  PUBLIC_URL: string;
  JWT_SECRET: string;
  corsOrigins: string[];
  /** True when demo data may be used (never in production). */
  demo: boolean;
  /** No engine URL configured: the built-in simulator is the engine (never in production). */
  simulator: boolean;
  WEBHOOK_BASE_URL: string;
};

export class ConfigError extends Error {}

/** The only reader of process.env in the gateway. Throws a ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  const production = c.NODE_ENV === 'production';

  if (c.AUTH_JWKS_URL && (!c.AUTH_JWKS_ISSUER || !c.AUTH_JWKS_AUDIENCE || !c.AUTH_EXTERNAL_ORG_ID)) {
    throw new ConfigError(
      'Invalid configuration:\n  AUTH_JWKS_URL: needs AUTH_JWKS_ISSUER, AUTH_JWKS_AUDIENCE and AUTH_EXTERNAL_ORG_ID too',
    );
  }

  let secret = c.JWT_SECRET;
  if (secret && Buffer.byteLength(secret) < 32 && production) {
    throw new ConfigError('Invalid configuration:\n  JWT_SECRET: must be at least 32 bytes in production');
  }
  if (!secret) {
    if (production) throw new ConfigError('Invalid configuration:\n  JWT_SECRET: required in production');
    secret = devSecret(c.DATA_DIR);
  }

  const simulator = !c.WAHA_URL && !c.WUZAPI_URL;
  if (simulator && production) {
    throw new ConfigError('Invalid configuration:\n  WAHA_URL: an engine URL (WAHA_URL or WUZAPI_URL) is required in production');
  }
  const publicUrl = (c.PUBLIC_URL ?? `http://localhost:${c.PORT}`).replace(/\/$/, '');

  return {
    ...c,
    simulator,
    WEBHOOK_BASE_URL: (c.WEBHOOK_BASE_URL ?? publicUrl).replace(/\/$/, ''),
    JWT_SECRET: secret,
    PUBLIC_URL: publicUrl,
    corsOrigins: c.CORS_ORIGINS.split(',').map((s) => s.trim()).filter(Boolean),
    demo: c.DEMO_MODE && !production,
  };
}

/** Outside production a missing secret is generated once and kept, so logins survive restarts. */
function devSecret(dataDir: string): string {
  const file = path.resolve(dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(path.dirname(file), { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}
