// All simulator state lives here, so reset/close can clear it and tests can inspect it.
import type { Account } from './account.js';
import type { HistoryRow } from '../wuzapi/history-table.js';

export type WahaStatus = 'STOPPED' | 'STARTING' | 'SCAN_QR_CODE' | 'WORKING' | 'FAILED';

export interface WahaWebhookConfig {
  url: string;
  events: string[];
  hmac: { key: string | null } | null;
  retries: unknown;
  customHeaders: { name: string; value: string }[] | null;
}

export interface WahaSession {
  engine: 'waha';
  name: string;
  status: WahaStatus;
  statuses: { status: WahaStatus; timestamp: number }[];
  config: { metadata: Record<string, string> | null; webhooks: WahaWebhookConfig[]; noweb: { store: { enabled: boolean; fullSync: boolean }; [k: string]: unknown }; [k: string]: unknown };
  qr: string | null;
  pairingPhone: string | null; // phone given to request-code, used when the "phone" confirms
  timers: Set<NodeJS.Timeout>;
  account: Account;
  createdAt: number;
}

export interface WuzUser {
  engine: 'wuzapi';
  id: string;
  name: string;
  token: string;
  webhook: string;
  events: string[];
  hmacKey: string | null;
  history: number;          // messages per chat kept for /chat/history; 0 = disabled
  connected: boolean;
  loggedIn: boolean;
  qr: string | null;        // the QR text; the API answers its PNG data URL
  qrDataUrl: string;
  pairingPhone: string | null;
  deleted: boolean;         // plain DELETE: hidden from the admin list, token still works (as WuzAPI does)
  /** This user's rows of WuzAPI's message_history table, by chat JID (see wuzapi/history-table.ts). */
  saved: Map<string, HistoryRow[]>;
  savedIds: Set<string>;
  timers: Set<NodeJS.Timeout>;
  account: Account;
  createdAt: number;
}

export interface Faults {
  down: boolean;
  latencyMs: number;
  webhookDuplicates: number;
  webhookFailFirst: boolean;
  /** true, false, or a probability 0..1 that an inbound sender arrives as <lid>@lid. */
  lidSender: boolean | number;
}

export const defaultFaults = (): Faults => ({ down: false, latencyMs: 0, webhookDuplicates: 0, webhookFailFirst: false, lidSender: false });

export class Store {
  readonly waha = new Map<string, WahaSession>();
  readonly wuzapi = new Map<string, WuzUser>(); // by id
  faults: Faults = defaultFaults();
  /** Messages the gateway sent through either API, per session/user name. */
  readonly sent = new Map<string, unknown[]>();
  /** WuzAPI's message_history SERIAL id: one sequence for every user of the server. */
  historySeq = 0;

  wuzByToken(token: string): WuzUser | undefined {
    for (const u of this.wuzapi.values()) if (u.token === token) return u;
    return undefined;
  }

  wuzByName(name: string): WuzUser | undefined {
    for (const u of this.wuzapi.values()) if (u.name === name && !u.deleted) return u;
    for (const u of this.wuzapi.values()) if (u.name === name) return u;
    return undefined;
  }

  recordSent(session: string, entry: Record<string, unknown>): void {
    let list = this.sent.get(session);
    if (!list) this.sent.set(session, (list = []));
    list.push({ at: Date.now(), ...entry });
    if (list.length > 10_000) list.splice(0, list.length - 10_000);
  }

  clearTimers(): void {
    for (const s of this.waha.values()) clearAll(s.timers);
    for (const u of this.wuzapi.values()) clearAll(u.timers);
  }

  reset(): void {
    this.clearTimers();
    this.waha.clear();
    this.wuzapi.clear();
    this.sent.clear();
    this.historySeq = 0;
    this.faults = defaultFaults();
  }
}

export function clearAll(timers: Set<NodeJS.Timeout>): void {
  for (const t of timers) clearTimeout(t);
  timers.clear();
}

/** A timer owned by a session: cleared on stop/delete/reset, never keeps the process alive. */
export function later(timers: Set<NodeJS.Timeout>, ms: number, fn: () => void): void {
  const t = setTimeout(() => {
    timers.delete(t);
    fn();
  }, ms);
  t.unref();
  timers.add(t);
}
