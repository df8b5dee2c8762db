import type pino from 'pino';
import type { ResolvedOptions } from './options.js';
import type { Store } from './state/store.js';
import type { WebhookDeliverer } from './webhooks/delivery.js';

/** What every route and state machine needs; one per simulator instance (no module globals). */
export interface SimContext {
  opts: ResolvedOptions;
  store: Store;
  deliverer: WebhookDeliverer;
  log: pino.Logger;
  /** Base URL for links the engine hands out (media urls). */
  baseUrl(): string;
  /** Current WuzAPI webhook format; switchable at runtime through the control API. */
  settings: { wuzapiWebhookFormat: 'form' | 'json' };
}

/** An error a route turns into the engine's own error shape. */
export class SimError extends Error {
  constructor(readonly status: number, message: string, readonly extra: Record<string, unknown> = {}) {
    super(message);
  }
}
