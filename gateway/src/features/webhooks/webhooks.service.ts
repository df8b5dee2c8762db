import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { LRUCache } from 'lru-cache';
import { AppError } from '../../platform/errors.js';
import type { EngineRegistry } from '../engines/engine-registry.js';
import { sessionOfDevice, ENGINE_KINDS, WebhookPayloadError, type EngineEvent, type EngineKind, type EngineSession, type MediaRef, type ParsedWebhook, type RawWebhook } from '../engines/engine.types.js';
import type { IngestService } from '../ingest/ingest.service.js';
import type { DeviceCtx } from '../ingest/ingest.types.js';
import type { EventBus } from '../../platform/events/event-bus.js';
import client from 'prom-client';

/** Keeps inline media (WuzAPI base64) in the media store; the message then carries the stored id, not the bytes. */
export interface InlineMediaStore {
  storeInline(owner: { orgId: string; deviceId: string }, media: MediaRef): Promise<MediaRef>;
}

/**
 * The device's history import (sync): a history push is stored (`write`, in `trx`) and counted on the
 * import in one transaction, which the import's end waits for.
 */
export interface HistoryPushes {
  storePush(device: { id: string; orgId: string }, pushed: { jids: string[]; complete: boolean }, write: (trx: Knex.Transaction) => Promise<{ insertedMessages: number }>): Promise<void>;
}

interface WebhookDevice extends DeviceCtx {
  secret: string;
  session: EngineSession;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Engine → gateway: authenticate the delivery, parse it, and hand it to the ingest; answer when durable. */
export class WebhooksService {
  // Every delivery needs its device's key; deleted devices leave the cache within the TTL.
  private readonly devices = new LRUCache<string, WebhookDevice>({ max: 10_000, ttl: 5_000 });
  private readonly lids = new LRUCache<string, string>({ max: 100_000 });

  constructor(
    private readonly db: Knex,
    private readonly engines: EngineRegistry,
    private readonly ingest: IngestService,
    private readonly media: InlineMediaStore,
    private readonly opts: { allowUnsignedWuzapi: boolean },
    private readonly logger: Logger,
    private readonly events: EventBus,
    private readonly historyImports: HistoryPushes,
  ) {
    // The cached device carries its status: a change makes the next delivery read it again.
    events.on('device.status_changed', 'webhooks.forget-device', (e) => this.forget(e.deviceId));
  }

  async receive(engine: string, deviceId: string, raw: RawWebhook, log: { warn(obj: object, msg: string): void } = this.logger): Promise<void> {
    if (!(ENGINE_KINDS as readonly string[]).includes(engine) || !UUID.test(deviceId)) throw unknownDevice();
    const device = await this.device(engine as EngineKind, deviceId);
    const adapter = this.engines.adapter(device.engine);
    if (!adapter.verifyWebhook(raw, device.secret, { allowUnsigned: device.engine === 'wuzapi' && this.opts.allowUnsignedWuzapi }))
      throw new AppError('invalid_signature', 401, 'The webhook signature is missing or wrong');
    // From here the delivery is signed: it is answered 2xx whatever its content (engines retry any
    // other answer forever). What cannot be read is logged with the request id and counted.
    let parsed;
    try {
      parsed = adapter.parseWebhook(raw);
    } catch (e) {
      if (!(e instanceof WebhookPayloadError)) throw e;
      this.reject(log, device, 'unreadable', e.message);
      return;
    }
    for (const kind of parsed.ignored ?? []) this.unknownKinds?.labels(device.engine, kind.slice(0, 64)).inc();
    if (parsed.poisoned) this.reject(log, device, 'sanitized', 'NUL or lone surrogates stripped from the text');
    for (const reason of parsed.rejected ?? []) this.reject(log, device, 'event_unreadable', reason);
    const valid = parsed.events.filter((e) => {
      const bad = badIdOf(e);
      if (bad !== null) this.reject(log, device, 'bad_id', `${e.kind} with an unusable id (${JSON.stringify(bad.slice(0, 80))})`);
      return bad === null;
    });
    const pushed = parsed.history ? (parsed.historySync ?? { chats: [], messages: 0, complete: false }) : null;
    if (!valid.length) {
      if (pushed) await this.historyImports.storePush(device, { jids: pushed.chats.map((c) => c.jid), complete: pushed.complete }, async () => ({ insertedMessages: 0 }));
      return this.historyPushed(device, pushed);
    }
    const events = await this.withLidMappings(device, valid);
    for (const e of events) {
      // Stored before the ingest: a failure answers non-2xx and the engine delivers again. (Linked
      // media is fetched later by the media fetcher, told by `message.received`.)
      if (e.kind === 'message' && e.message.media?.base64) e.message.media = await this.media.storeInline({ orgId: device.orgId, deviceId: device.id }, e.message.media);
    }
    // History the engine pushes (WuzAPI HistorySync) is stored like an import (not unread, no events),
    // and counted on the device's import in the same transaction; the engine's "complete" goes with
    // the delivery's last write.
    let imported = 0;
    const store = (evs: EngineEvent[], complete = pushed?.complete ?? false) =>
      pushed
        ? this.historyImports.storePush(device, { jids: pushed.chats.map((c) => c.jid), complete }, async (trx) => {
            const r = await this.ingest.writeNow([{ device, eventId: parsed.eventId, events: evs }], { history: true }, trx);
            imported += r.insertedMessages;
            return r;
          })
        : this.ingest.submit({ device, eventId: parsed.eventId, events: evs });
    try {
      await store(events);
    } catch (err) {
      // The database refused something in the content (not an outage): each event alone, so one
      // poisoned field never blocks the good events around it.
      if (!isDataError(err) || events.length < 2) {
        if (isDataError(err)) return this.reject(log, device, 'refused_by_database', (err as Error).message);
        throw err;
      }
      for (const e of events) {
        try {
          await store([e], false);
        } catch (one) {
          if (!isDataError(one)) throw one;
          this.reject(log, device, 'refused_by_database', `${e.kind}: ${(one as Error).message}`);
        }
      }
      if (pushed?.complete) await store([], true);
    }
    this.historyPushed(device, pushed, imported);
  }

  /** A history push, stored and counted: others refresh what it changed (chat previews, group names). */
  private historyPushed(device: WebhookDevice, pushed: ParsedWebhook['historySync'] | null, imported = 0) {
    if (pushed) this.events.publish('history.received', { orgId: device.orgId, deviceId: device.id, ...pushed, imported });
  }

  private rejected?: client.Counter<'engine' | 'reason'>;
  private unknownKinds?: client.Counter<'engine' | 'event'>;

  /** Counts what signed deliveries held that could not be stored (`webhook_events_rejected_total`). */
  attachMetrics(registry: client.Registry) {
    this.unknownKinds = new client.Counter({
      name: 'webhook_unknown_events_total',
      help: 'Events of signed webhook deliveries whose kind the gateway does not read: answered 2xx, never stored',
      labelNames: ['engine', 'event'] as const,
      registers: [registry],
    });
    this.rejected = new client.Counter({
      name: 'webhook_events_rejected_total',
      help: 'Parts of signed webhook deliveries left out (or cleaned) because their content could not be stored as sent',
      labelNames: ['engine', 'reason'] as const,
      registers: [registry],
    });
  }

  private reject(log: { warn(obj: object, msg: string): void }, device: WebhookDevice, reason: string, detail: string) {
    this.rejected?.labels(device.engine, reason).inc();
    log.warn({ deviceId: device.id, engine: device.engine, reason, detail }, 'webhook event left out or cleaned');
  }

  /** Forget a device at once (deleted or re-keyed). */
  forget(deviceId: string) {
    this.devices.delete(deviceId);
  }

  private async device(engine: EngineKind, id: string): Promise<WebhookDevice> {
    let d = this.devices.get(id);
    if (!d) {
      const row = await this.db('devices').where({ id }).whereNull('deleted_at').first();
      if (!row) throw unknownDevice();
      d = {
        id: row.id,
        orgId: row.org_id,
        engine: row.engine,
        status: row.status,
        secret: row.webhook_secret,
        session: sessionOfDevice(row),
      };
      this.devices.set(id, d);
    }
    if (d.engine !== engine) throw unknownDevice();
    return d;
  }

  /**
   * A message from a hidden id (@lid) is filed under the person's phone chat when we can learn the
   * phone: from the stored map, else by asking the engine once (briefly). Unknown stays @lid.
   */
  private async withLidMappings(device: WebhookDevice, events: EngineEvent[]): Promise<EngineEvent[]> {
    const lids = new Set<string>();
    for (const e of events) if (e.kind === 'message' && e.message.chatJid.endsWith('@lid')) lids.add(e.message.chatJid);
    for (const e of events) if (e.kind === 'lid') this.lids.set(`${device.id}|${e.mapping.lid}`, e.mapping.phoneJid);
    if (!lids.size) return events;
    const extra: EngineEvent[] = [];
    for (const lid of lids) {
      const key = `${device.id}|${lid}`;
      if (this.lids.has(key)) continue;
      const stored = await this.db('lid_map').where({ device_id: device.id, lid }).first('phone_jid');
      if (stored) {
        this.lids.set(key, stored.phone_jid);
        continue;
      }
      try {
        const pn = await this.engines.adapter(device.engine).resolveLid(device.session, lid);
        if (pn) {
          this.lids.set(key, pn);
          extra.push({ kind: 'lid', mapping: { lid, phoneJid: pn } });
        }
      } catch (err) {
        this.logger.debug({ err, lid }, 'LID lookup failed; the message stays under its LID chat');
      }
    }
    return [...extra, ...events];
  }
}

// WhatsApp ids are short tokens; whitespace, control characters or a huge length mean a broken field.
const ID = /^[^\s\p{Cc}]{1,256}$/u;
const idsOf = (e: EngineEvent): string[] => {
  switch (e.kind) {
    case 'message':
      return [e.message.id];
    case 'ack':
      return e.ids;
    case 'reaction':
    case 'revoke':
    case 'edit':
      return [e.targetId];
    default:
      return [];
  }
};
/** The first id of the event that cannot be a WhatsApp id, or null when all are fine. */
const badIdOf = (e: EngineEvent): string | null => idsOf(e).find((id) => !ID.test(id)) ?? null;

/** PostgreSQL refused the data itself (SQLSTATE class 22, or an index row too large): not an outage. */
const isDataError = (err: unknown) => {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('22') || code === '54000');
};

const unknownDevice = () => new AppError('unknown_device', 404, 'No such device');
