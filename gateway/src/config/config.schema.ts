import { z } from 'zod';
import { isSupportedCountry } from 'libphonenumber-js/max';

// Booleans arrive as strings from the environment; "false"/"0"/"no" must mean false.
const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const optionalUrl = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(z.string().url().optional())
  .optional();

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/**
 * Every environment variable the gateway reads. Deployment tests read this schema to prove that
 * compose and k8s provide every variable without a default, so keep `describe()` and defaults honest.
 */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  PUBLIC_URL: optionalUrl,
  TRUST_PROXY: z.coerce.number().int().min(0).default(0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CORS_ORIGINS: z.string().default(''),
  BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'expected a size such as 1mb or 512kb').default('1mb'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),

  DATABASE_URL: optionalUrl,
  DATA_DIR: z.string().default('.data'),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(5433),
  DB_POOL_MIN: z.coerce.number().int().min(0).default(0),
  DB_POOL_MAX: z.coerce.number().int().min(1).default(10),

  JWT_SECRET: optionalString,
  JWT_ISSUER: z.string().default('wa-gateway'),
  JWT_AUDIENCE: z.string().default('wa-gateway-web'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).default(900),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).default(30),
  USER_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  BCRYPT_COST: z.coerce.number().int().min(12).max(15).default(12),

  LOGIN_RATE_WINDOW_SECONDS: z.coerce.number().int().positive().default(900),
  LOGIN_RATE_MAX_PER_IP: z.coerce.number().int().positive().default(50),
  LOGIN_RATE_MAX_PER_EMAIL: z.coerce.number().int().positive().default(10),
  LOGIN_SLOWDOWN_AFTER: z.coerce.number().int().positive().default(100),
  LOGIN_SLOWDOWN_WINDOW_SECONDS: z.coerce.number().int().positive().default(3600),
  LOGIN_SLOWDOWN_BASE_MS: z.coerce.number().int().min(0).default(250),
  LOGIN_SLOWDOWN_MAX_MS: z.coerce.number().int().min(0).max(120_000).default(30_000),

  AUTH_JWKS_URL: optionalUrl,
  AUTH_JWKS_ISSUER: optionalString,
  AUTH_JWKS_AUDIENCE: optionalString,
  AUTH_EXTERNAL_ORG_ID: z.string().uuid().optional(),

  ENGINE_DEFAULT: z.enum(['waha', 'wuzapi']).default('waha'),
  WAHA_URL: optionalUrl,
  WAHA_API_KEY: z.string().default(''),
  WAHA_SESSION_MODE: z.enum(['per-device', 'default']).default('per-device'),
  WUZAPI_URL: optionalUrl,
  WUZAPI_ADMIN_TOKEN: z.string().default(''),
  ENGINE_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  ENGINE_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  SIM_PORT: z.coerce.number().int().min(0).max(65535).default(3100),
  WEBHOOK_BASE_URL: optionalUrl,
  WEBHOOK_BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'expected a size such as 1mb or 512kb').default('64mb'),
  WEBHOOK_ALLOW_UNSIGNED_WUZAPI: bool(false),
  // Channel (newsletter) posts and status broadcasts are stored, but kept out of the chat list unless asked for.
  CHANNELS_IN_CHAT_LIST: bool(false),
  WEBHOOK_RECEIPT_RETENTION_HOURS: z.coerce.number().int().positive().default(72),
  INGEST_BATCH_MAX: z.coerce.number().int().min(1).max(5000).default(500),
  INGEST_BATCH_WAIT_MS: z.coerce.number().int().min(0).max(1000).default(4),
  INGEST_CONCURRENCY: z.coerce.number().int().min(1).max(8).default(2),
  INGEST_PARKED_SWEEP_MS: z.coerce.number().int().min(100).max(3_600_000).default(5000),
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(1000).default(30_000),
  SYNC_PAGE_SIZE: z.coerce.number().int().min(10).max(5000).default(500),
  SYNC_MAX_MESSAGES_PER_CHAT: z.coerce.number().int().min(0).default(0),
  SYNC_STALE_MS: z.coerce.number().int().min(500).default(30_000),
  SYNC_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  SYNC_HISTORY_QUIET_SECONDS: z.coerce.number().int().min(1).max(86_400).default(120),
  JOB_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),

  // Real time (/ws): event retention for resume, heartbeat, per-socket send buffer limit, auth deadline.
  EVENTS_RETENTION_HOURS: z.coerce.number().int().positive().default(24),
  WS_HEARTBEAT_MS: z.coerce.number().int().min(50).default(30_000),
  WS_MAX_BUFFER_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  WS_AUTH_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(5_000),

  PHONE_DEFAULT_REGION: z
    .string()
    .trim()
    .toUpperCase()
    .refine((v) => isSupportedCountry(v), 'expected an ISO 3166 region code such as US, DE or GB')
    .default('US'),
  CONTACTS_IMPORT_MAX_ROWS: z.coerce.number().int().min(1).max(1_000_000).default(100_000),
  CONTACTS_IMPORT_MAX_BYTES: z.string().regex(/^\d+(b|kb|mb)$/i, 'expected a size such as 1mb or 512kb').default('50mb'),

  OUTBOX_RETRY_BASE_MS: z.coerce.number().int().min(1).default(2_000),
  OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  OUTBOX_POLL_MS: z.coerce.number().int().min(10).default(1_000),
  MEDIA_STORE: z.enum(['local', 's3']).default('local'),
  MEDIA_MAX_BYTES: z.coerce.number().int().positive().default(16 * 1024 * 1024),
  S3_ENDPOINT: optionalUrl,
  S3_BUCKET: optionalString,
  S3_REGION: z.string().default('us-east-1'),
  S3_ACCESS_KEY: optionalString,
  S3_SECRET_KEY: optionalString,
  S3_FORCE_PATH_STYLE: bool(false),

  DEMO_MODE: bool(true),
  WEB_DIST_DIR: optionalString,
});

export type RawConfig = z.infer<typeof configSchema>;

/**
 * Variables that have a development default or are optional in the schema, but that a real
 * deployment (NODE_ENV=production) must set. Deployment tests check compose and k8s provide them.
 */
export const deploymentRequired = ['NODE_ENV', 'DATABASE_URL', 'JWT_SECRET', 'PUBLIC_URL'] as const;
