import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { LRUCache } from 'lru-cache';
import { AppError } from '../../platform/errors.js';
import type { EngineRegistry } from '../engines/engine-registry.js';
import { ENGINE_KINDS, WebhookPayloadError, type EngineEvent, type EngineKind, type EngineSession, type MediaRef, type RawWebhook } from '../engines/engine.types.js';
import type { IngestService } from '../ingest/ingest.service.js';
import type { DeviceCtx } from '../ingest/ingest.types.js';
import type { EventBus } from '../../platform/events/event-bus.js';

/** Keeps inline media (WuzAPI base64) in the media store; the message then carries the stored id, not the bytes. */
export interface InlineMediaStore {
  storeInline(owner: { orgId: string; deviceId: string }, media: MediaRef): Promise<MediaRef>;
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
    events: EventBus,
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
    let parsed;
    try {
      parsed = adapter.parseWebhook(raw);
    } catch (e) {
      if (e instanceof WebhookPayloadError) {
        log.warn({ deviceId, reason: e.message }, 'malformed webhook payload');
        throw new AppError('invalid_payload', 400, `The webhook payload is malformed: ${e.message}`);
      }
      throw e;
    }
    const events = await this.withLidMappings(device, parsed.events);
    for (const e of events) {
      // Stored before the ingest: a failure answers non-2xx and the engine delivers again. (Linked
      // media is fetched later by the media fetcher, told by `message.received`.)
      if (e.kind === 'message' && e.message.media?.base64) e.message.media = await this.media.storeInline({ orgId: device.orgId, deviceId: device.id }, e.message.media);
    }
    // History the engine pushes (WuzAPI HistorySync) is stored like an import: not unread, no events.
    if (parsed.history) await this.ingest.writeNow([{ device, eventId: parsed.eventId, events }], { history: true });
    else await this.ingest.submit({ device, eventId: parsed.eventId, events });
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
        session: { engine: row.engine, session: row.engine_session, baseUrl: row.engine_url, token: row.engine_token, engineRef: row.engine_ref },
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

const unknownDevice = () => new AppError('unknown_device', 404, 'No such device');
