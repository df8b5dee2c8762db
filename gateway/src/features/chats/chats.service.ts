import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { AppError, forbidden, notFound } from '../../platform/errors.js';
import type { Actor, AuthUser } from '../../platform/http/auth-context.js';
import { decodeCursor, encodeCursor, toPage } from '../../platform/http/pagination.js';
import { allows, chatRelation, deviceRelation, requireAllowed } from '../access/access.policy.js';
import { normalizePhone, type Region } from '../../platform/phone.js';
import type { ContactsService } from '../contacts/contacts.service.js';
import { engineSessionOf } from '../devices/devices.service.js';
import type { EngineRegistry } from '../engines/engine-registry.js';
import { presentMessageWithReactions } from '../messages/messages.presenter.js';
import { appendEvents } from '../realtime/event-log.js';
import { presentChat, presentChatForUser, type ChatAccessName, type ChatRow } from './chats.presenter.js';
import * as repo from './chats.repository.js';

/** How many of the newest unread messages are reported seen to the engine at most. */
const SEEN_MAX = 50;

const TIME_KEY = /^(-infinity|\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2})?|Z)?)$/;

/** A (timestamp text, id) keyset cursor; anything else is the 400 of a cursor this API never gave. */
export const cursorKey = (cursor: string | undefined, field = 'cursor'): [string, number] | undefined => {
  const k = decodeCursor(cursor, 2);
  if (!k) return undefined;
  if (typeof k[0] !== 'string' || !Number.isSafeInteger(k[1]) || !TIME_KEY.test(k[0]))
    throw new AppError('validation_failed', 400, `Invalid query: ${field}`, [{ in: 'query', field, message: 'not a cursor this list gave out' }]);
  return [k[0], k[1] as number];
};

/** Reading conversations: the chat list, one chat, its messages, marking it read. */
export class ChatsService {
  constructor(
    private readonly db: Knex,
    private readonly contacts: ContactsService,
    private readonly engines: EngineRegistry,
    private readonly logger: Logger,
    private readonly region: Region,
    private readonly opts: { channelsInChatList?: boolean } = {},
  ) {}

  /**
   * POST /api/chats: a chat with a phone number on a device the caller sends from. The number is
   * normalized as contacts are; a connected device asks its engine whether the number has WhatsApp
   * (a plain "no" is 422; an engine that cannot answer does not stop the person). `created` says
   * whether the chat is new (201) or was there already (200). It has no message yet, so lists show
   * it once one is written.
   */
  async start(actor: Actor, input: { deviceId: string; phone: string }) {
    const relation = await deviceRelation(this.db, actor.user, input.deviceId);
    // Seen as its chats are: an org admin without membership gets 404, as when sending.
    requireAllowed('chat.send', actor.user.role, relation, 'Device', 'Only the device’s owner and its agents start chats from it', 'chat.read');
    const access = relation as 'owner' | 'agent';
    const e164 = normalizePhone(input.phone, this.region);
    if (!e164) throw new AppError('validation_failed', 400, 'Invalid body: phone', [{ in: 'body', field: 'phone', message: 'not a valid phone number' }]);
    const digits = e164.slice(1);
    const device = await repo.deviceOf(this.db, input.deviceId);
    let jid = `${digits}@s.whatsapp.net`;
    if (device.status === 'connected') {
      const session = engineSessionOf(device);
      const check = await this.engines
        .adapter(device.engine, session)
        .checkNumber(session, digits)
        .catch((err) => (this.logger.warn({ err, deviceId: device.id }, 'could not ask the engine whether a number has WhatsApp'), null));
      if (check && !check.exists) throw new AppError('not_on_whatsapp', 422, `${e164} is not on WhatsApp`, [{ in: 'body', field: 'phone', message: 'this number has no WhatsApp' }]);
      if (check?.jid && /@s\.whatsapp\.net$/.test(check.jid)) jid = check.jid;
    }
    const { chat, created } = await repo.findOrCreateChat(this.db, device.org_id, device.id, jid);
    const [shown] = await this.present(actor.user, [{ ...chat, access }]);
    return { created, chat: shown! };
  }

  async list(actor: Actor, f: { limit: number; cursor?: string; deviceId?: string; unread?: boolean; favorite?: boolean; q?: string }) {
    const rows = await repo.listChats(this.db, actor.user, { ...f, hideChannels: !this.opts.channelsInChatList, after: cursorKey(f.cursor) });
    const page = toPage(rows, f.limit, (r) => [r.k, Number(r.id)], (r) => r);
    return { items: await this.present(actor.user, page.items), nextCursor: page.nextCursor };
  }

  async get(actor: Actor, id: number) {
    const { chat, access } = await this.visible(actor, id);
    return (await this.present(actor.user, [{ ...chat, access }]))[0]!;
  }

  /**
   * A page of a conversation, newest first, with a cursor each way: the newest messages (no cursor),
   * older than `before`, newer than `after`, or centred on the message `around` (half older, the
   * message and half newer). `before`/`after` are null when nothing lies that way.
   */
  async messages(actor: Actor, id: number, q: { limit: number; before?: string; after?: string; around?: number }) {
    const before = cursorKey(q.before, 'before');
    const after = cursorKey(q.after, 'after');
    // The access check and the page run side by side; the page is dropped unless access is granted.
    const [access, page] = await Promise.all([chatRelation(this.db, actor.user, id), this.page(id, q.limit, { before, after, around: q.around })]);
    if (!access) throw notFound('Chat');
    if (!page) throw notFound('Message');
    const key = (r: repo.PagedMessage) => encodeCursor([r.k, Number(r.id)]);
    const { older, newer, olderMore, newerMore } = page;
    const items = [...[...newer].reverse(), ...older]; // newest first
    const first = items[0];
    const last = items[items.length - 1];
    const beforeCursor = olderMore && last ? key(last) : null;
    return {
      items: items.map((m) => presentMessageWithReactions(m, m.reactions, m.poll_votes)),
      nextCursor: beforeCursor,
      before: beforeCursor,
      // Paging back from a cursor: newer messages exist (at least the one the cursor came from).
      after: newerMore && first ? key(first) : before && !first ? encodeCursor(before) : null,
    };
  }

  /** The rows of one page: `older` newest first, `newer` oldest first, and whether more lie each way. */
  private async page(id: number, limit: number, o: { before?: [string, number]; after?: [string, number]; around?: number }) {
    if (o.around) {
      const at = await repo.messageKey(this.db, id, o.around);
      if (!at) return null;
      const half = Math.max(1, Math.floor(limit / 2));
      const [newer, older] = await Promise.all([repo.messagesNewer(this.db, id, limit - half, at, true), repo.messagesPage(this.db, id, half, at)]);
      return { newer: newer.slice(0, limit - half), older: older.slice(0, half), newerMore: newer.length > limit - half, olderMore: older.length > half };
    }
    if (o.after) {
      const newer = await repo.messagesNewer(this.db, id, limit, o.after);
      return { newer: newer.slice(0, limit), older: [], newerMore: newer.length > limit, olderMore: true };
    }
    const older = await repo.messagesPage(this.db, id, limit, o.before);
    return { newer: [], older: older.slice(0, limit), newerMore: !!o.before, olderMore: older.length > limit };
  }

  /**
   * Marks the chat read for everyone working it and tells the engine, so the phone and the contact
   * see it read too. Only those who may send do this (read receipts speak for the number); the
   * engine call runs after the answer and its failure is only logged: the gateway's state is what
   * the team sees.
   */
  async read(actor: Actor, id: number) {
    const { access } = await this.visible(actor, id);
    if (!allows('chat.send', actor.user.role, access)) throw forbidden('Viewers and people a chat is shared with read without marking it read');
    const res = await this.db.transaction(async (trx) => {
      const r = await repo.markRead(trx, id);
      if (!r) throw notFound('Chat');
      if (r.before.unread_count > 0) {
        await appendEvents(trx, [{ orgId: actor.user.orgId, deviceId: r.after.device_id, chatId: id, type: 'chat.updated', data: presentChat(r.after) }]);
      }
      return r;
    });
    if (res.before.unread_count > 0) void this.sendSeen(res.after, Math.min(res.before.unread_count, SEEN_MAX));
    return (await this.present(actor.user, [{ ...res.after, access }]))[0]!;
  }

  private async sendSeen(chat: ChatRow, n: number) {
    try {
      const device = await repo.deviceOf(this.db, chat.device_id);
      if (!device || device.status !== 'connected') return;
      const msgs = await repo.lastIncoming(this.db, Number(chat.id), n);
      if (!msgs.length) return;
      const session = engineSessionOf(device);
      await this.engines.adapter(device.engine, session).markSeen(
        session,
        chat.jid,
        msgs.map((m) => ({ id: m.engine_message_id!, engineFullId: m.engine_full_id, senderJid: m.sender_jid })),
      );
    } catch (err) {
      this.logger.warn({ err, chatId: chat.id }, 'could not tell the engine a chat was read');
    }
  }

  /** The chat and how the caller relates to it; 404 when unknown or not theirs to see. */
  async visible(actor: Actor, id: number): Promise<{ chat: ChatRow; access: ChatAccessName }> {
    const [access, chat] = await Promise.all([chatRelation(this.db, actor.user, id), repo.getChat(this.db, id)]);
    if (!access || !chat) throw notFound('Chat');
    return { chat, access };
  }

  /** Adds the caller's pins and the CRM contact (name, tags) behind each chat: two queries per page. */
  private async present(user: AuthUser, rows: (ChatRow & { access: ChatAccessName })[]) {
    if (!rows.length) return [];
    const [crm, fav] = await Promise.all([
      this.contacts.crmForChats(user.orgId, rows.map((r) => ({ deviceId: r.device_id, jid: r.jid }))),
      repo.favoritesOf(this.db, user.id),
    ]);
    return rows.map((r) => {
      const badge = crm.get(r.jid) ?? null;
      const favorite = fav.chats.has(String(r.id)) || (!!badge && fav.contacts.has(badge.contactId));
      return presentChatForUser(r, { access: r.access, favorite, crm: badge });
    });
  }
}
