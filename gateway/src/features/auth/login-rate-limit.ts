import { setTimeout as sleep } from 'node:timers/promises';
import { ipKeyGenerator } from 'express-rate-limit';
import type { Knex } from 'knex';
import { AppError } from '../../platform/errors.js';
import { hitAll, unhitAll, type Counter } from './rate-limit.store.js';

export interface LoginLimitOptions {
  /** The window of the two refusing limits. */
  windowSeconds: number;
  /** Failures from one address for one email, then 429 for that pair. */
  perEmailAndIp: number;
  /** Failures from one address over all emails, then 429 for that address. */
  perIp: number;
  /** Failures for one email over all addresses in `slowdownWindowSeconds`, past which every attempt waits. */
  slowdownAfter: number;
  slowdownWindowSeconds: number;
  /** The first wait; each further failure doubles it, up to `slowdownMaxMs`. */
  slowdownBaseMs: number;
  slowdownMaxMs: number;
}

/**
 * Login limits that a stranger cannot turn against the account's owner: only failures count, per
 * (email, address) and per address, each refusing with 429 + Retry-After once over its limit; per email
 * over every address, a flood of failures only slows every attempt down (never refuses, right password
 * or not), so the owner, from an address that has not failed, still gets in. Counted in PostgreSQL, so
 * the limits hold across replicas. A try is counted before the password is checked (so parallel
 * guesses cannot slip past the limit) and taken back when it was not a wrong password.
 */
export class LoginLimiter {
  constructor(
    private readonly db: Knex,
    private readonly opts: LoginLimitOptions,
  ) {}

  async attempt<T>(email: string, ip: string, work: () => Promise<T>): Promise<T> {
    const o = this.opts;
    const e = email.trim().toLowerCase();
    const address = ipKeyGenerator(ip);
    const window = o.windowSeconds * 1000;
    const counters: Counter[] = [
      { key: `login-ip\0${address}`, windowMs: window },
      { key: `login-pair\0${e}\0${address}`, windowMs: window },
      { key: `login-email\0${e}`, windowMs: o.slowdownWindowSeconds * 1000 },
    ];
    const [byIp, byPair, byEmail] = await hitAll(this.db, counters);
    const refused = byIp!.hits > o.perIp ? byIp! : byPair!.hits > o.perEmailAndIp ? byPair! : undefined;
    if (refused) {
      await unhitAll(this.db, counters);
      const retryAfter = Math.max(1, Math.ceil((refused.resetAt.getTime() - Date.now()) / 1000));
      throw new AppError('rate_limited', 429, 'Too many failed sign-ins from here; try again later', { retryAfterSeconds: retryAfter }, { 'Retry-After': String(retryAfter) });
    }
    const excess = byEmail!.hits - 1 - o.slowdownAfter; // failures before this attempt, past the threshold
    if (excess >= 0) await sleep(Math.min(o.slowdownMaxMs, o.slowdownBaseMs * 2 ** Math.min(excess, 30)));
    try {
      const result = await work();
      await unhitAll(this.db, counters);
      return result;
    } catch (err) {
      if ((err as { code?: string }).code !== 'invalid_credentials') await unhitAll(this.db, counters);
      throw err;
    }
  }
}
