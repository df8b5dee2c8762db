import type { WebSocket } from 'ws';
import type { AuthUser } from '../../platform/http/auth-context.js';
import type { Subscriber } from './realtime.hub.js';
import type { RoundCache } from './realtime.frames.js';

/** Close codes of the protocol (4xxx are ours; 1013 is "try again later"). */
export const CLOSE = { unauthorized: 4401, slow: 1013, goingAway: 1001 } as const;

type RawSocket = { write(b: Buffer): boolean };
/** Unsent bytes beyond HARD_CAP × the limit close a socket even within one round. */
const HARD_CAP = 8;

/**
 * One authenticated socket. Live events go straight out, except while the socket is `holding`: from
 * joining until its resume is answered (or a short grace passes without one), they wait in `pending`
 * (all newer than `joinedAt`) and follow the replay. `floor`: nothing at or below it is sent.
 *
 * Event frames arrive already encoded (realtime.frames.ts) and are written to the TCP socket under
 * ws, whole frames only; with compression off, ws keeps no state that this could disturb, and its
 * own sends (controls) interleave safely between whole frames.
 */
export class RealtimeClient implements Subscriber {
  alive = true;
  closed = false;
  holding = true;
  resumed = false;
  floor = 0;
  private pending: { seq: number; frame: Buffer }[] = [];
  private pendingBytes = 0;
  private round: Buffer[] = [];
  private roundKey = '';

  constructor(
    readonly ws: WebSocket,
    readonly user: AuthUser,
    /** The hub position when this socket went live: later events reach it live. */
    readonly joinedAt: number,
    private readonly maxBuffer: number,
    private readonly onSlow: (c: RealtimeClient) => void,
  ) {}

  /**
   * Start of a dispatch round. What is still unsent from earlier rounds is the client's backlog:
   * past the limit it is not keeping up, and it is closed rather than letting memory grow.
   * (Checked here, not per frame: one large round to a reading client is not slowness.)
   */
  beginRound() {
    if (this.ws.bufferedAmount > this.maxBuffer) this.slow();
  }

  deliver(seq: number, frame: Buffer) {
    if (this.closed || seq <= this.floor) return;
    if (this.holding) {
      this.pending.push({ seq, frame });
      this.pendingBytes += frame.length;
      if (this.pendingBytes > this.maxBuffer) this.slow();
      return;
    }
    this.floor = seq;
    this.round.push(frame);
    this.roundKey += seq + ',';
  }

  /** End of a round: this socket's frames leave in one write (shared with sockets that got the same). */
  endRound(cache: RoundCache) {
    if (!this.round.length) return;
    const buf = cache.get(this.roundKey, this.round);
    this.round = [];
    this.roundKey = '';
    this.write(buf);
  }

  /** Writes encoded frames; past a hard cap (a flood within one round) the socket is closed. */
  write(frames: Buffer) {
    if (this.closed) return;
    const raw = (this.ws as unknown as { _socket?: RawSocket })._socket;
    if (!raw) return;
    raw.write(frames);
    if (this.ws.bufferedAmount > HARD_CAP * this.maxBuffer) this.slow();
  }

  /** A control frame (`ready`, `pong`, `error`), through ws. */
  send(text: string) {
    if (this.closed) return;
    this.ws.send(text);
  }

  /** Ends holding: what arrived live meanwhile follows, minus anything at or below `lastSent`. */
  release(lastSent: number) {
    this.floor = Math.max(this.floor, lastSent);
    this.holding = false;
    const queued = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const out = queued.filter((p) => p.seq > this.floor);
    if (!out.length) return;
    this.floor = out[out.length - 1]!.seq;
    this.write(Buffer.concat(out.map((p) => p.frame)));
  }

  close(code: number, reason: string) {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    this.round = [];
    this.ws.close(code, reason);
  }

  private slow() {
    if (this.closed) return;
    this.onSlow(this);
    this.close(CLOSE.slow, 'Too slow: send buffer full');
  }
}
