import type { Logger } from 'pino';

/**
 * A background loop that drains work now (`kick`) and on a timer, one cycle at a time; a kick during
 * a cycle runs another cycle right after it. Subclasses say what one cycle does.
 */
export abstract class PollingWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  protected again = false;
  protected stopped = true;

  constructor(
    private readonly pollMs: number,
    protected readonly logger: Logger,
    private readonly what: string,
  ) {}

  protected abstract drain(): Promise<void>;

  start() {
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.timer.unref();
    this.kick();
  }

  async stop() {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Something is due now. */
  kick() {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((err) => this.logger.warn({ err }, `${this.what} cycle failed`))
      .finally(() => {
        this.running = null;
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      });
  }
}
