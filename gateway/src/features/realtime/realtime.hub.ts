import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { AuthUser } from '../../platform/http/auth-context.js';
import { resolveAudiences } from './realtime.audience.js';
import { eventIdsAfter, eventsAfter, idBounds, type EventRow } from './realtime.repository.js';
import { eventFrame, RoundCache, type FrameOf } from './realtime.frames.js';

/** A socket as the hub sees it. */
export interface Subscriber {
  readonly user: AuthUser;
  /** Around each dispatch round, so a socket's frames of one round leave in one write. */
  beginRound(): void;
  deliver(seq: number, frame: Buffer): void;
  endRound(cache: RoundCache): void;
}

const PAGE = 500;
/** A missing id is usually a transaction that took its id but has not committed yet; rarely a rollback. */
const HOLE_WAIT_MS = 1_000;
const HOLE_POLL_MS = 5;

/** Under load, dispatch rounds are at least this far apart, so each write to a socket carries more. */
const COALESCE_MS = 15;


/**
 * This process's fan-out. Every event enters through the `events` table (appendEvents), whichever
 * replica wrote it; the hub reads rows after the last one it settled, in id order, and pushes each
 * to the connected sockets whose user is in its audience right now.
 *
 * Ids are taken at insert but become visible at commit, so a later id can show up before an earlier
 * one. The hub never moves past a missing id until it appears, or until HOLE_WAIT_MS says it was
 * rolled back; so `last` means "every event up to here has been dispatched", which is what resume
 * relies on to switch from the table to the live stream without a gap or a duplicate.
 */
export class RealtimeHub {
  private readonly subs = new Map<string, Set<Subscriber>>();
  private last = 0;
  private initialized = false;
  private running = false;
  private again = false;
  private hole?: { id: number; since: number };
  private holeTimer?: NodeJS.Timeout;
  private coalesceTimer?: NodeJS.Timeout;
  private lastDrainAt = 0;
  private stopped = false;
  dispatched = 0;

  constructor(
    private readonly db: Knex,
    private readonly logger: Logger,
    /** How an event becomes a frame (tests: checked against its schema first). */
    readonly frame: FrameOf = eventFrame,
  ) {}

  /** Starts from the newest event: sockets that want older ones resume from the table. */
  async init() {
    this.last = (await idBounds(this.db)).max ?? 0;
    this.initialized = true;
    this.notify(null);
  }

  /** The id up to which every event has been dispatched. */
  get position() {
    return this.last;
  }

  add(s: Subscriber) {
    let set = this.subs.get(s.user.id);
    if (!set) this.subs.set(s.user.id, (set = new Set()));
    set.add(s);
  }

  remove(s: Subscriber) {
    const set = this.subs.get(s.user.id);
    if (!set) return;
    set.delete(s);
    if (!set.size) this.subs.delete(s.user.id);
  }

  /** A NOTIFY arrived (carrying the highest new id), or `null`: look anyway. */
  notify(maxId: number | null) {
    if (!this.initialized || this.stopped) return;
    if (maxId !== null && maxId <= this.last) return;
    if (this.running) {
      this.again = true;
      return;
    }
    const wait = this.lastDrainAt + COALESCE_MS - Date.now();
    if (wait > 0) {
      this.coalesceTimer ??= setTimeout(() => {
        this.coalesceTimer = undefined;
        this.notify(null);
      }, wait);
      return;
    }
    void this.drain();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.holeTimer);
    clearTimeout(this.coalesceTimer);
  }

  private async drain() {
    this.running = true;
    this.again = false;
    this.lastDrainAt = Date.now();
    try {
      while (!this.stopped) {
        // With no socket here, the ids are enough to move on (no event data read or parsed).
        const idsOnly = this.subs.size === 0;
        const rows = idsOnly ? await eventIdsAfter(this.db, this.last, PAGE) : await eventsAfter(this.db, this.last, PAGE);
        if (idsOnly && this.subs.size) continue; // a socket joined meanwhile: read these events in full
        const ready = this.settled(rows);
        if (ready.length && idsOnly) this.last = ready[ready.length - 1]!.id;
        else if (ready.length) await this.dispatch(ready as EventRow[]);
        if (ready.length < rows.length) {
          // Waiting for a missing id: look again shortly rather than on the next NOTIFY.
          clearTimeout(this.holeTimer);
          this.holeTimer = setTimeout(() => this.notify(null), HOLE_POLL_MS);
          break;
        }
        if (rows.length < PAGE) break;
      }
    } catch (err) {
      this.logger.error({ err }, 'realtime fan-out read failed; retrying');
      clearTimeout(this.holeTimer);
      this.holeTimer = setTimeout(() => this.notify(null), 500);
    } finally {
      this.running = false;
    }
    if (this.again) this.notify(null);
  }

  /** The rows that follow `last` without a gap (a gap older than HOLE_WAIT_MS is given up on). */
  private settled<R extends { id: number }>(rows: R[]): R[] {
    let expected = this.last + 1;
    let n = 0;
    for (const r of rows) {
      if (r.id !== expected) {
        const now = Date.now();
        if (this.hole?.id !== expected) this.hole = { id: expected, since: now };
        if (now - this.hole.since < HOLE_WAIT_MS) break;
        this.logger.debug({ from: expected, to: r.id - 1 }, 'event ids never committed; skipping');
      }
      expected = r.id + 1;
      n++;
    }
    return n === rows.length ? rows : rows.slice(0, n);
  }

  private async dispatch(rows: EventRow[]) {
    const audiences = this.subs.size ? await resolveAudiences(this.db, rows, new Set(this.subs.keys())) : new Map<number, Set<string>>();
    // From here to `last = …` is synchronous: a resume that reads `position` sees all or none of this batch.
    const touched = new Set<Subscriber>();
    for (const e of rows) {
      const to = audiences.get(e.id);
      if (!to?.size) continue;
      const frame = this.frame(e);
      for (const uid of to) {
        const set = this.subs.get(uid);
        if (!set) continue;
        for (const s of set) {
          if (s.user.orgId !== e.org_id) continue;
          if (!touched.has(s)) (touched.add(s), s.beginRound());
          s.deliver(e.id, frame);
          this.dispatched++;
        }
      }
    }
    this.last = rows[rows.length - 1]!.id;
    const cache = new RoundCache();
    for (const s of touched) s.endRound(cache);
  }

  /** The audience of each of `rows` restricted to one user (for a resuming socket). */
  async allowedFor(user: AuthUser, rows: EventRow[]): Promise<EventRow[]> {
    const audiences = await resolveAudiences(this.db, rows, new Set([user.id]));
    return rows.filter((e) => e.org_id === user.orgId && audiences.get(e.id)?.has(user.id));
  }
}
