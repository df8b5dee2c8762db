import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import type { AuthUser } from '../../platform/http/auth-context.js';
import { CLOSE, RealtimeClient } from './realtime.client.js';
import type { RealtimeHub } from './realtime.hub.js';
import { eventsForReplay, idBounds } from './realtime.repository.js';
import { parseClientMessage, type RealtimeControl, type RealtimeEvent } from './realtime.schemas.js';

export interface RealtimeOptions {
  heartbeatMs: number;
  maxBufferBytes: number;
  authTimeoutMs: number;
}

/** How long a new socket's live events wait for a resume before flowing anyway. */
const RESUME_GRACE_MS = 300;
const REPLAY_PAGE = 500;

/** setTimeout's longest delay; a later expiry closes the socket early, and the client reconnects. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Who a token is, and until when it is valid (ms since the epoch; null when it does not expire). */
export interface SocketIdentity {
  user: AuthUser;
  expiresAt: number | null;
}

interface Conn {
  ws: WebSocket;
  alive: boolean;
  client?: RealtimeClient;
  timer?: NodeJS.Timeout;
  /** Closes the socket when its token expires. */
  expiry?: NodeJS.Timeout;
  queue: Promise<void>;
}

/**
 * The /ws protocol on the HTTP server: authenticate (bearer subprotocol, or an `auth` message within
 * the deadline), join the hub, answer `resume` from the event log, heartbeat, and close what is dead
 * or too slow. Frames from the server: events `{seq, type, data}`, and controls without `seq`
 * (`ready`, `pong`, `error`).
 */
export class RealtimeServer {
  private readonly wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: 16 * 1024,
    handleProtocols: (protocols) => (protocols.has('bearer') ? 'bearer' : false),
  });
  private readonly conns = new Set<Conn>();
  private heartbeat?: NodeJS.Timeout;
  private stopping = false;
  slowClosed = 0;

  constructor(
    private readonly db: Knex,
    private readonly hub: RealtimeHub,
    private readonly ready: Promise<void>,
    private readonly authenticate: (token: string) => Promise<SocketIdentity>,
    private readonly opts: RealtimeOptions,
    private readonly logger: Logger,
  ) {}

  get size() {
    return this.conns.size;
  }

  start() {
    this.heartbeat = setInterval(() => this.beat(), this.opts.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Takes an upgrade for /ws; returns false for any other path (left to other handlers). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/ws') return false;
    socket.on('error', () => socket.destroy());
    if (this.stopping) {
      socket.destroy();
      return true;
    }
    // The token rides in the subprotocol list (never in the query string, which lands in logs).
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const token = offered.includes('bearer') ? offered.find((p) => p !== 'bearer') : undefined;
    const identity = token === undefined ? Promise.resolve(undefined) : this.authenticate(token).catch(() => null);
    void identity.then((u) => {
      if (socket.destroyed) return;
      this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws, u));
    });
    return true;
  }

  private open(ws: WebSocket, identity: SocketIdentity | null | undefined) {
    const conn: Conn = { ws, alive: true, queue: Promise.resolve() };
    this.conns.add(conn);
    ws.on('error', () => undefined);
    ws.on('pong', () => (conn.alive = true));
    ws.on('close', () => {
      this.conns.delete(conn);
      clearTimeout(conn.timer);
      clearTimeout(conn.expiry);
      if (conn.client) {
        conn.client.closed = true;
        this.hub.remove(conn.client);
      }
    });
    ws.on('message', (data, isBinary) => {
      conn.alive = true;
      conn.queue = conn.queue.then(() => this.onMessage(conn, data, isBinary)).catch((err) => {
        this.logger.warn({ err }, 'realtime message failed');
        ws.close(1011, 'Internal error');
      });
    });
    if (identity === null) return ws.close(CLOSE.unauthorized, 'Invalid token');
    if (identity) return void (conn.queue = this.join(conn, identity));
    conn.timer = setTimeout(() => ws.close(CLOSE.unauthorized, 'Authentication timeout'), this.opts.authTimeoutMs);
  }

  private async onMessage(conn: Conn, data: RawData, isBinary: boolean) {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    const msg = isBinary ? undefined : parseClientMessage(data.toString());
    if (!conn.client) {
      // Until authenticated, the only acceptable message is `auth`.
      clearTimeout(conn.timer);
      if (msg?.type !== 'auth') return conn.ws.close(CLOSE.unauthorized, 'Authenticate first');
      const identity = await this.authenticate(msg.token).catch(() => null);
      if (!identity) return conn.ws.close(CLOSE.unauthorized, 'Invalid token');
      return this.join(conn, identity);
    }
    const c = conn.client;
    if (!msg) return control(c, 'error', { code: 'bad_message', message: 'Expected JSON {"type":"resume","since":<seq>} or {"type":"ping"}' });
    if (msg.type === 'ping') return control(c, 'pong', {});
    if (msg.type === 'auth') return control(c, 'error', { code: 'already_authenticated', message: 'This socket is already authenticated' });
    return this.resume(c, msg.since);
  }

  private async join(conn: Conn, { user, expiresAt }: SocketIdentity) {
    await this.ready;
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    // A socket lives no longer than the token that opened it (a signed-out or demoted user's token is
    // not renewed). The client refreshes its token and reconnects with `resume`: it misses nothing.
    if (expiresAt !== null) {
      const left = Math.min(Math.max(0, expiresAt - Date.now()), MAX_TIMER_MS);
      conn.expiry = setTimeout(() => conn.ws.close(CLOSE.unauthorized, 'Token expired'), left);
    }
    const c = new RealtimeClient(conn.ws, user, this.hub.position, this.opts.maxBufferBytes, () => this.slowClosed++);
    conn.client = c;
    this.hub.add(c);
    control(c, 'ready', { userId: user.id, seq: c.joinedAt });
    conn.timer = setTimeout(() => !c.resumed && c.release(0), RESUME_GRACE_MS);
  }

  /**
   * Sends what the socket missed after `since`, then lets the live stream continue. Live events newer
   * than `joinedAt` are held meanwhile; the table is read only up to `joinedAt`, which the hub has
   * already dispatched in full, so nothing is sent twice or skipped at the switch.
   */
  private async resume(c: RealtimeClient, since: number) {
    if (c.resumed) return control(c, 'error', { code: 'already_resumed', message: 'Resume is accepted once per socket' });
    c.resumed = true;
    c.holding = true;
    const upTo = c.joinedAt;
    const { min, max } = await idBounds(this.db);
    const pruned = since < upTo && (min === null || since < min - 1);
    const unknown = since > upTo && (max === null || since > max);
    if (pruned || unknown) {
      // Older than the retention (or from another database): the client must refetch.
      c.send(JSON.stringify({ seq: upTo, type: 'resync', data: {} } satisfies RealtimeEvent));
      return c.release(upTo);
    }
    for (let cursor = since; cursor < upTo && !c.closed; ) {
      const rows = await eventsForReplay(this.db, c.user, cursor, upTo, REPLAY_PAGE);
      if (!rows.length) break;
      const allowed = await this.hub.allowedFor(c.user, rows);
      if (allowed.length) c.write(Buffer.concat(allowed.map(this.hub.frame)));
      cursor = rows[rows.length - 1]!.id;
      await this.drained(c);
      if (rows.length < REPLAY_PAGE) break;
    }
    c.release(Math.max(since, upTo));
  }

  /** A long replay waits for the client to read rather than tripping the slow-consumer limit. */
  private async drained(c: RealtimeClient) {
    const end = Date.now() + 30_000;
    while (!c.closed && c.ws.bufferedAmount > this.opts.maxBufferBytes / 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  }

  /** Pings every socket; one that has not answered since the last round is gone. */
  private beat() {
    for (const conn of this.conns) {
      if (!conn.alive) {
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }

  /** Says goodbye (1001) to every socket, then cuts what has not closed within a moment. */
  async stop() {
    this.stopping = true;
    clearInterval(this.heartbeat);
    for (const conn of this.conns) {
      if (conn.client) conn.client.close(CLOSE.goingAway, 'Server shutting down');
      else conn.ws.close(CLOSE.goingAway, 'Server shutting down');
    }
    const end = Date.now() + 1_000;
    while (this.conns.size && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    for (const conn of this.conns) conn.ws.terminate();
    this.wss.close();
  }
}

function control<T extends RealtimeControl['type']>(c: RealtimeClient, type: T, data: Extract<RealtimeControl, { type: T }>['data']) {
  c.send(JSON.stringify({ type, data }));
}
