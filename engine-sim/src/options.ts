import pino from 'pino';

export interface SimOptions {
  /** 0 = a random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** WAHA `X-Api-Key` (default 'sim-api-key'). */
  apiKey?: string;
  /** WuzAPI admin `Authorization` token (default 'sim-admin-token'). */
  adminToken?: string;
  /** WuzAPI webhook wire format (default 'form', as WuzAPI ships). */
  wuzapiWebhookFormat?: 'form' | 'json';
  /** How often a pending QR code is replaced (default 20000 ms). */
  qrRotateMs?: number;
  /** How long a session stays STARTING before it shows a QR or becomes WORKING (default 30 ms). */
  startDelayMs?: number;
  /** Webhook retry policy: attempts in total, first backoff delay doubling each retry (default 5, 200 ms). */
  webhookRetry?: { attempts: number; delayMs: number };
  /** Base URL used in links the engine hands out (media urls); default the listening URL. */
  publicUrl?: string;
  logger?: pino.Logger;
}

export interface ResolvedOptions {
  port: number;
  host: string;
  apiKey: string;
  adminToken: string;
  wuzapiWebhookFormat: 'form' | 'json';
  qrRotateMs: number;
  startDelayMs: number;
  webhookRetry: { attempts: number; delayMs: number };
  publicUrl: string | undefined;
  logger: pino.Logger;
}

export function resolveOptions(o: SimOptions = {}): ResolvedOptions {
  return {
    port: o.port ?? 0,
    host: o.host ?? '127.0.0.1',
    apiKey: o.apiKey ?? 'sim-api-key',
    adminToken: o.adminToken ?? 'sim-admin-token',
    wuzapiWebhookFormat: o.wuzapiWebhookFormat ?? 'form',
    qrRotateMs: Math.max(50, o.qrRotateMs ?? 20_000),
    startDelayMs: Math.max(0, o.startDelayMs ?? 30),
    webhookRetry: {
      attempts: Math.max(1, Math.min(50, o.webhookRetry?.attempts ?? 5)),
      delayMs: Math.max(0, o.webhookRetry?.delayMs ?? 200),
    },
    publicUrl: o.publicUrl?.replace(/\/+$/, ''),
    logger: o.logger ?? pino({ level: 'silent' }),
  };
}
