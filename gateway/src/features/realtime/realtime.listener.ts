import pg from 'pg';
import type { Logger } from 'pino';
import { EVENTS_CHANNEL } from './event-log.js';

/**
 * LISTENs on the events channel over its own connection (a pooled one would be handed to other
 * queries, and LISTEN belongs to a session). Reconnects with backoff; after every (re)connect it
 * reports `null`, since NOTIFYs sent while it was away are lost and the reader must catch up.
 */
export class EventsListener {
  private client?: pg.Client;
  private stopped = false;
  private delay = 100;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly connection: string | pg.ClientConfig,
    private readonly onEvent: (maxId: number | null) => void,
    private readonly logger: Logger,
  ) {}

  /** Resolves once LISTEN is in place the first time (later reconnects happen on their own). */
  start(): Promise<void> {
    return new Promise((resolve) => {
      const attempt = () => {
        if (this.stopped) return resolve();
        this.connect().then(
          () => resolve(),
          (err) => {
            this.logger.warn({ err, retryMs: this.delay }, 'events listener could not connect');
            this.timer = setTimeout(attempt, this.delay);
            this.delay = Math.min(this.delay * 2, 5_000);
          },
        );
      };
      attempt();
    });
  }

  private async connect() {
    const client = new pg.Client(typeof this.connection === 'string' ? { connectionString: this.connection } : this.connection);
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    client.on('notification', (n) => {
      if (n.channel !== EVENTS_CHANNEL) return;
      const id = Number(n.payload);
      this.onEvent(Number.isFinite(id) ? id : null);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    } catch (err) {
      client.removeAllListeners('end');
      client.removeAllListeners('error');
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.stopped) return void (await client.end().catch(() => undefined));
    this.client = client;
    this.delay = 100;
    this.onEvent(null);
  }

  private lost(client: pg.Client, err?: Error) {
    if (this.client !== client || this.stopped) return;
    this.client = undefined;
    this.logger.warn({ err }, 'events listener lost its connection; reconnecting');
    client.removeAllListeners('end');
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    const again = () => {
      if (this.stopped) return;
      this.connect().catch((e) => {
        this.logger.warn({ err: e, retryMs: this.delay }, 'events listener could not reconnect');
        this.timer = setTimeout(again, this.delay);
        this.delay = Math.min(this.delay * 2, 5_000);
      });
    };
    this.timer = setTimeout(again, this.delay);
  }

  async stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    const c = this.client;
    this.client = undefined;
    if (c) {
      c.removeAllListeners('end');
      c.on('error', () => undefined);
      await c.end().catch(() => undefined);
    }
  }
}
