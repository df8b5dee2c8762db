/**
 * Collects items for a few milliseconds (or until `maxItems`) and hands them to `flush` together,
 * a bounded number of flushes at a time; each submitter's promise settles with its own item's
 * outcome once its batch has been flushed. Items that
 * arrive while a flush runs form the next batch, so the batch size grows with the load.
 */
export class MicroBatcher<T, R> {
  private queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running = 0;
  private closed = false;

  constructor(
    private readonly flush: (items: T[]) => Promise<PromiseSettledResult<R>[]>,
    /** `concurrency` flushes may be in flight at once, so one batch fills while another commits. */
    private readonly opts: { maxItems: number; maxWaitMs: number; concurrency?: number },
  ) {}

  submit(item: T): Promise<R> {
    if (this.closed) return Promise.reject(new Error('batcher closed'));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.queue.length >= this.opts.maxItems) this.kick();
      else if (!this.timer && this.running < this.limit) this.timer = setTimeout(() => this.kick(), this.opts.maxWaitMs);
    });
  }

  /** Flushes what is queued and refuses new items. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.queue.length || this.running) {
      this.kick();
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  get pending() {
    return this.queue.length;
  }

  private get limit() {
    return Math.max(1, this.opts.concurrency ?? 1);
  }

  private kick() {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.running >= this.limit || !this.queue.length) return;
    this.running++;
    const batch = this.queue.splice(0, this.opts.maxItems);
    this.flush(batch.map((b) => b.item)).then(
      (results) =>
        batch.forEach((b, i) => {
          const r = results[i];
          if (r?.status === 'fulfilled') b.resolve(r.value);
          else b.reject(r?.reason ?? new Error('no result for batch item'));
        }),
      (err) => batch.forEach((b) => b.reject(err)),
    ).finally(() => {
      this.running--;
      if (this.queue.length) this.kick();
    });
  }
}
