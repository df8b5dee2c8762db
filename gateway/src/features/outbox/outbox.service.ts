import type { Knex } from 'knex';
import { AppError, forbidden, notFound } from '../../platform/errors.js';
import type { AuthUser } from '../../platform/http/auth-context.js';
import { normalizePhone, type Region } from '../../platform/phone.js';
import { requireAllowed, chatRelation, deviceRelation } from '../access/access.policy.js';
import { toCanonical } from '../engines/jid.js';
import { presentMessage } from '../messages/messages.presenter.js';
import type { MediaService } from '../media/media.service.js';
import { safeFilename, sniffMedia } from '../media/media.sniff.js';
import * as repo from './outbox.repository.js';
import type { Upload } from './outbox.upload.js';
import type { OutboxWorker } from './outbox.worker.js';

export interface SendInput {
  clientId?: string | null;
  text?: string | null;
  replyTo?: number | null;
}

/** What a send answers: the message, and whether this call created it (202) or found it by client id (200). */
export interface Sent {
  created: boolean;
  message: ReturnType<typeof presentMessage>;
}

const badInput = (field: string, message: string) => new AppError('validation_failed', 400, `Invalid body: ${field}`, [{ in: 'body', field, message }]);

/** Sending: the message is written pending first (the outbox), then the worker delivers it. */
export class OutboxService {
  constructor(
    private readonly db: Knex,
    private readonly media: MediaService,
    private readonly worker: OutboxWorker,
    private readonly region: Region,
  ) {}

  /** Owner and agents send; viewers and grantees read only (403); everyone else does not see the chat (404). */
  private async requireSender(user: AuthUser, chatId: number) {
    requireAllowed('chat.send', user.role, await chatRelation(this.db, user, chatId), 'Chat', 'Only the device’s owner and its agents send in this chat');
  }

  async sendToChat(user: AuthUser, chatId: number, input: SendInput, upload: Upload | null = null): Promise<Sent> {
    const text = input.text ?? null;
    // Checked first when something else would be read or stored; a plain text send checks it in its insert.
    if (upload || !text || input.replyTo) await this.requireSender(user, chatId);
    if (!upload && !text) throw badInput('text', 'a text or a file is required');
    const clientId = input.clientId ?? null;

    let media: repo.NewOut['media'] = null;
    let type = 'text';
    if (upload) {
      // A repeat of a known client id answers before any bytes are stored again.
      if (clientId) {
        const again = await this.existing(chatId, clientId);
        if (again) return again;
      }
      const sniffed = await sniffMedia(upload.data, upload.filename);
      const filename = safeFilename(upload.filename, sniffed.ext);
      const chat = await this.db('chats').where({ id: chatId }).first('org_id', 'device_id');
      const stored = await this.media.save({ orgId: chat.org_id, deviceId: chat.device_id }, upload.data, sniffed.mimetype, filename);
      media = { mediaId: stored.id, mimetype: sniffed.mimetype, filename, size: upload.data.length };
      type = sniffed.type;
    }
    const replyToEngineId = input.replyTo ? await this.replyTarget(chatId, input.replyTo) : null;
    const body = type === 'audio' ? null : text; // a voice note has no caption
    const row = await repo.insertPending(this.db, { chatId, clientId, type, body, media, replyToEngineId }, user, this.worker.leaseMs);
    if (!row) {
      await this.requireSender(user, chatId); // nothing written: not allowed here (404/403), or a repeated client id
      const again = clientId ? await this.existing(chatId, clientId) : null;
      if (!again) throw new AppError('send_conflict', 409, 'The message could not be written; try again');
      return again;
    }
    // After this answer is on its way: delivering need not hold it up.
    setImmediate(() => (row.leased ? this.worker.deliverLeased(row) : this.worker.written(chatId)));
    return { created: true, message: presentMessage(row) };
  }

  /** POST /api/messages/send: to a phone number (any common format) or a group id, on one device. */
  async sendTo(user: AuthUser, input: { deviceId: string; to: string; text: string; clientId?: string; replyTo?: number }): Promise<Sent> {
    // Seen as its chats are: an org admin without membership gets 404 here, as on the chat route.
    requireAllowed('chat.send', user.role, await deviceRelation(this.db, user, input.deviceId), 'Device', 'Only the device’s owner and its agents send from it', 'chat.read');
    const jid = this.recipient(input.to);
    const device = await this.db('devices').where({ id: input.deviceId }).first('org_id');
    const { rows } = await this.db.raw(
      `WITH ins AS (
         INSERT INTO chats (org_id, device_id, jid, is_group) VALUES (?, ?, ?, ?)
         ON CONFLICT (device_id, jid) DO NOTHING RETURNING id)
       SELECT id FROM ins UNION ALL SELECT id FROM chats WHERE device_id = ? AND jid = ?`,
      [device.org_id, input.deviceId, jid, jid.endsWith('@g.us'), input.deviceId, jid],
    );
    return this.sendToChat(user, Number(rows[0].id), { clientId: input.clientId, text: input.text, replyTo: input.replyTo });
  }

  /**
   * POST /api/messages/:id/retry. A failed message goes back to pending with a fresh attempt count;
   * one waiting for its next attempt (retrying) is tried at once. Never a second send: an attempt
   * already out is left to finish (the answer is then the message as it is), and a send that went
   * through is 409 `not_failed`.
   */
  async retry(user: AuthUser, id: number) {
    const m = await repo.byId(this.db, user.orgId, id);
    if (!m) throw notFound('Message');
    await this.requireSender(user, m.chat_id);
    const notFailed = () => new AppError('not_failed', 409, 'Only a message that was not sent can be retried');
    if (m.direction !== 'out' || m.ack > 0) throw notFailed();
    const again = m.ack === -1 ? await repo.resetFailed(this.db, id) : await repo.hurryWaiting(this.db, id);
    if (again) {
      this.worker.kick();
      return presentMessage(again);
    }
    // Raced: sent or reset meanwhile, or an attempt is out right now.
    const now = await repo.byId(this.db, user.orgId, id);
    if (!now || now.ack !== 0) throw notFailed();
    return presentMessage(now);
  }

  private async existing(chatId: number, clientId: string): Promise<Sent | null> {
    const chat = await this.db('chats').where({ id: chatId }).first('device_id');
    const m = chat ? await repo.byClientId(this.db, chat.device_id, clientId) : undefined;
    if (!m) return null;
    if (Number(m.chat_id) !== chatId) throw new AppError('client_id_reused', 409, 'This clientId was already used for a message in another chat');
    return { created: false, message: presentMessage(m) };
  }

  private async replyTarget(chatId: number, messageId: number): Promise<string> {
    const m = await this.db('messages').where({ id: messageId, chat_id: chatId }).whereNull('deleted_at').first('engine_message_id');
    if (!m) throw badInput('replyTo', 'no such message in this chat');
    if (!m.engine_message_id) throw new AppError('reply_target_pending', 409, 'The message replied to has not been sent yet');
    return m.engine_message_id;
  }

  private recipient(to: string): string {
    const t = to.trim();
    if (t.includes('@')) {
      const jid = toCanonical(t);
      if (jid && (/^[0-9-]+@g\.us$/.test(jid) || /^\d{6,15}@s\.whatsapp\.net$/.test(jid))) return jid;
      throw badInput('to', 'not a phone number or a group id (…@g.us)');
    }
    const e164 = normalizePhone(t, this.region);
    if (!e164) throw badInput('to', 'not a valid phone number');
    return `${e164.slice(1)}@s.whatsapp.net`;
  }
}
