import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Knex } from 'knex';
import { notFound } from '../../platform/errors.js';
import type { AuthUser } from '../../platform/http/auth-context.js';
import { canOnChat } from '../access/access.policy.js';
import type { MediaRef } from '../engines/engine.types.js';
import type { MediaStore } from './media.store.js';

export interface MediaRow {
  id: string;
  org_id: string;
  device_id: string;
  storage_key: string;
  mimetype: string;
  filename: string | null;
  size: number;
  sha256: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Media kept by the gateway: bytes in the store, a `media` row, and messages pointing at it by id. */
export class MediaService {
  constructor(
    private readonly db: Knex,
    readonly store: MediaStore,
    readonly maxBytes: number,
  ) {}

  /** Stores bytes for a device; the same bytes on the same device are kept once. */
  async save(owner: { orgId: string; deviceId: string }, data: Buffer, mimetype: string, filename: string | null): Promise<MediaRow> {
    const sha256 = createHash('sha256').update(data).digest('hex');
    const same = await this.db<MediaRow>('media').where({ device_id: owner.deviceId, sha256 }).first();
    if (same) return same;
    const id = randomUUID();
    const key = `${owner.orgId}/${owner.deviceId}/${id}`;
    // Bytes first: a row never points at nothing (a crash in between leaves an unreferenced file at worst).
    await this.store.put(key, data, mimetype);
    const [row] = await this.db('media')
      .insert({ id, org_id: owner.orgId, device_id: owner.deviceId, storage_key: key, mimetype, filename, size: data.length, sha256 })
      .returning('*');
    return { ...row, size: Number(row.size) } as MediaRow;
  }

  /** Inline media of a webhook (WuzAPI base64) → stored copy; the message then carries its id, not the bytes. */
  async storeInline(owner: { orgId: string; deviceId: string }, media: MediaRef): Promise<MediaRef> {
    if (!media.base64) return media;
    const data = Buffer.from(media.base64, 'base64');
    if (data.length > this.maxBytes) return { ...media, base64: null, size: data.length }; // kept as metadata only
    const mimetype = media.mimetype ?? 'application/octet-stream';
    const row = await this.save(owner, data, mimetype, media.filename ?? null);
    return { mimetype, filename: media.filename ?? null, size: data.length, mediaId: row.id, base64: null, url: null };
  }

  async row(id: string): Promise<MediaRow | undefined> {
    return this.db<MediaRow>('media').where({ id }).first();
  }

  /**
   * The bytes for a caller who may see a chat holding a message that references them (the access
   * policy decides); 404 for everyone else, whether or not the file exists.
   */
  async open(user: AuthUser, id: string): Promise<{ row: MediaRow; stream: Readable; size: number }> {
    if (!UUID.test(id)) throw notFound('Media');
    const row = await this.db<MediaRow>('media').where({ id, org_id: user.orgId }).first();
    if (!row) throw notFound('Media');
    const chats = await this.db('messages')
      .whereRaw(`media->>'mediaId' = ?`, [id])
      .where('device_id', row.device_id)
      .whereNull('deleted_at')
      .whereNull('revoked_at')
      .distinct('chat_id')
      .limit(50);
    let allowed = false;
    for (const c of chats) if ((allowed = await canOnChat(this.db, user, 'chat.read', c.chat_id))) break;
    if (!allowed) throw notFound('Media');
    const file = await this.store.get(row.storage_key);
    if (!file) throw notFound('Media');
    return { row, stream: file.stream, size: file.size || Number(row.size) };
  }
}
