import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { LRUCache } from 'lru-cache';
import { MicroBatcher } from './micro-batcher.js';
import { writeBatch } from './ingest.writer.js';
import { mayBeUnjoinedEcho } from './ingest.messages.js';
import type { IngestItem, IngestOptions, IngestResult, KnownChat, SentState } from './ingest.types.js';

/**
 * The one way engine events reach the database. Live webhooks go through a micro-batcher (one
 * transaction and one NOTIFY per batch, each delivery answered after its batch commits); the
 * history import writes its pages directly with `writeNow`.
 */
export class IngestService {
  /** Called after commit for each device whose status changed (devices service reacts). */
  onStatusChanges: (changes: IngestResult['statusChanges']) => void = () => undefined;
  private readonly batcher: MicroBatcher<IngestItem, void>;
  private readonly knownContacts = new LRUCache<string, string>({ max: 200_000 });
  // Chats are never re-keyed; a device's removal deletes its chats, but its webhooks then answer 404.
  private readonly knownChats = new LRUCache<string, KnownChat>({ max: 200_000 });
  // Ids our outbox wrote on its rows: their echoes need no join, or no statement (see mayBeEchoes, dropKnownEchoes).
  private readonly knownSent = new LRUCache<string, SentState>({ max: 10_000, ttl: 10 * 60_000 });

  constructor(
    private readonly db: Knex,
    private readonly logger: Logger,
    opts: { maxItems: number; maxWaitMs: number; concurrency: number },
  ) {
    this.batcher = new MicroBatcher((items) => this.flush(items), opts);
  }

  /**
   * Set by the outbox: resolves once this process's sends in flight on the device have their engine
   * ids on their rows (null when there are none). An echo that beats its send's answer then needs no join.
   */
  sendsSettled: (deviceId: string) => Promise<void> | null = () => null;

  /** Resolves once the delivery is durable (committed). */
  submit(item: IngestItem): Promise<void> {
    const wait = this.mayEchoOurSend(item) ? this.sendsSettled(item.device.id) : null;
    return wait ? wait.then(() => this.batcher.submit(item)) : this.batcher.submit(item);
  }

  private mayEchoOurSend(item: IngestItem) {
    return item.events.some((e) => e.kind === 'message' && mayBeUnjoinedEcho(item.device.id, e.message, this.knownSent));
  }

  async writeNow(items: IngestItem[], opts: IngestOptions = {}): Promise<IngestResult> {
    const result = await writeBatch(this.db, items, { ...opts, knownContacts: this.knownContacts, knownChats: this.knownChats, knownSent: this.knownSent });
    for (const [key, names] of result.contactsWritten) this.knownContacts.set(key, names);
    for (const [key, chat] of result.chatsSeen) this.knownChats.set(key, chat);
    if (result.statusChanges.length) this.onStatusChanges(result.statusChanges);
    return result;
  }

  /** The outbox wrote `engineId` on its row (committed), with this ack and full id. */
  sentWithId(deviceId: string, engineId: string, state: SentState) {
    this.knownSent.set(`${deviceId}|${engineId}`, state);
  }

  close() {
    return this.batcher.close();
  }

  private async flush(items: IngestItem[]): Promise<PromiseSettledResult<void>[]> {
    try {
      await this.writeNow(items);
      return items.map(() => ({ status: 'fulfilled', value: undefined }));
    } catch (err) {
      if (items.length === 1) return [{ status: 'rejected', reason: err }];
      // One bad delivery must not fail its neighbours: store each alone; only the bad one fails
      // (and its engine retries it).
      this.logger.warn({ err, size: items.length }, 'ingest batch failed; storing its deliveries one by one');
      const out: PromiseSettledResult<void>[] = [];
      for (const i of items) {
        try {
          await this.writeNow([i]);
          out.push({ status: 'fulfilled', value: undefined });
        } catch (e) {
          out.push({ status: 'rejected', reason: e });
        }
      }
      return out;
    }
  }
}
