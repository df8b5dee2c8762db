import type { Server } from 'node:http';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import client from 'prom-client';
import { createDb } from '../../platform/db/knex.js';
import { RealtimeHub } from './realtime.hub.js';
import { checkedEventFrame, eventFrame } from './realtime.frames.js';
import { EventsListener } from './realtime.listener.js';
import { pruneEvents } from './realtime.repository.js';
import { RealtimeServer, type RealtimeOptions, type SocketIdentity } from './realtime.server.js';
import type { JobQueue } from '../../platform/jobs/job-queue.js';

export interface RealtimeConfig extends RealtimeOptions {
  retentionHours: number;
}

/**
 * Real time for one gateway process: a LISTEN connection wakes the hub, the hub reads the event log
 * and fans events out to this process's sockets. Events enter only through the events table
 * (appendEvents), so one replica or many behave the same. Nothing runs until `attach`.
 */
export class RealtimeService {
  private hub?: RealtimeHub;
  private listener?: EventsListener;
  private server?: RealtimeServer;
  private reads?: Knex;

  constructor(
    private readonly db: Knex,
    private readonly authenticate: (token: string) => Promise<SocketIdentity>,
    private readonly config: RealtimeConfig,
    private readonly logger: Logger,
    jobs: JobQueue,
  ) {
    jobs.every('realtime.prune-events', 15 * 60_000, () => this.prune());
  }

  /** Events that went out outside their schema (only counted with `validateEvents`). */
  schemaMismatches: string[] = [];

  /** Takes /ws upgrades on `server`, starts listening, and stops with the server. `validateEvents`: tests check every frame. */
  attach(server: Server, registry?: client.Registry, opts: { validateEvents?: boolean } = {}) {
    const connection = (this.db.client as { config: { connection: string } }).config.connection;
    // Fan-out reads get their own two connections: a webhook backlog waiting on the shared pool must
    // not delay pushing what is already committed.
    const reads = (this.reads = createDb(connection, { min: 0, max: 2 }, this.logger));
    const frame = opts.validateEvents
      ? checkedEventFrame((e, message) => {
          this.schemaMismatches.push(message);
          this.logger.error({ eventId: e.id, type: e.type }, message);
        })
      : eventFrame;
    this.hub = new RealtimeHub(reads, this.logger, frame);
    const hub = this.hub;
    this.listener = new EventsListener(connection, (id) => hub.notify(id), this.logger);
    const ready = this.listener.start().then(() => hub.init());
    ready.catch((err) => this.logger.error({ err }, 'realtime could not start'));
    const ws = new RealtimeServer(reads, hub, ready, this.authenticate, this.config, this.logger);
    this.server = ws;
    ws.start();
    server.on('upgrade', (req, socket, head) => {
      if (ws.upgrade(req, socket, head)) return;
      // Nobody else takes upgrades on this server: refuse rather than leave the socket hanging.
      if (server.listenerCount('upgrade') === 1) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    });
    // http.Server.close() waits for upgraded sockets, which it never closes itself: close them too.
    // It stops taking connections at once (not after the sockets are gone: new ones would come
    // meanwhile); the callback waits for both.
    const close = server.close.bind(server);
    server.close = ((cb?: (err?: Error) => void) => {
      const closed = new Promise<Error | undefined>((resolve) => close(resolve));
      const stopped = this.stop().catch((err) => this.logger.warn({ err }, 'realtime did not stop cleanly'));
      void Promise.all([closed, stopped]).then(([err]) => cb?.(err));
      return server;
    }) as typeof server.close;
    if (registry) this.metrics(registry);
  }

  /** Deletes events older than the retention (a client resuming from before then gets `resync`). */
  prune() {
    return pruneEvents(this.db, this.config.retentionHours);
  }

  async stop() {
    this.hub?.stop();
    await Promise.all([this.server?.stop(), this.listener?.stop()]);
    await this.reads?.destroy();
    this.reads = undefined;
  }

  private metrics(registry: client.Registry) {
    const ws = this.server!;
    const hub = this.hub!;
    new client.Gauge({ name: 'ws_sockets_open', help: 'Open WebSocket connections on /ws', registers: [registry], collect() { this.set(ws.size); } });
    new client.Gauge({ name: 'ws_events_sent', help: 'Events pushed to sockets since start', registers: [registry], collect() { this.set(hub.dispatched); } });
    new client.Gauge({ name: 'ws_slow_sockets_closed', help: 'Sockets closed (1013) for a full send buffer since start', registers: [registry], collect() { this.set(ws.slowClosed); } });
    new client.Gauge({ name: 'ws_event_position', help: 'Highest event id dispatched by this process', registers: [registry], collect() { this.set(hub.position); } });
  }
}
