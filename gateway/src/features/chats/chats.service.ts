import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { AppError, forbidden, notFound } from '../../platform/errors.js';
import type { Actor, AuthUser } from '../../platform/http/auth-context.js';
import { decodeCursor, toPage } from '../../platform/http/pagination.js';
import { canSend, chatAccess } from '../access/access.policy.js';
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
    private readonly opts: { channelsInChatList?: boolean } = {},
  ) {}

  async list(actor: Actor, f: { limit: number; cursor?: string; deviceId?: string; unread?: boolean; favorite?: boolean; q?: string }) {
    const rows = await repo.listChats(this.db, actor.user, { ...f, hideChannels: !this.opts.channelsInChatList, after: cursorKey(f.cursor) });
    const page = toPage(rows, f.limit, (r) => [r.k, Number(r.id)], (r) => r);
    return { items: await this.present(actor.user, page.items), nextCursor: page.nextCursor };
  }

  async get(actor: Actor, id: number) {
    const { chat, access } = await this.visible(actor, id);
    return (await this.present(actor.user, [{ ...chat, access }]))[0]!;
  }

  /** Newest first; `before` is the previous page's nextCursor. */
  async messages(actor: Actor, id: number, q: { limit: number; before?: string }) {
    const before = cursorKey(q.before, 'before');
    // The access check and the page run side by side; the page is dropped unless access is granted.
    const [access, rows] = await Promise.all([chatAccess(this.db, actor.user, id), repo.messagesPage(this.db, id, q.limit, before)]);
    if (!access) throw notFound('Chat');
    return toPage(rows, q.limit, (r) => [r.k, Number(r.id)], (m) => presentMessageWithReactions(m, m.reactions, m.poll_votes));
  }

  /**
   * Marks the chat read for everyone working it and tells the engine, so the phone and the contact
   * see it read too. Only those who may send do this (read receipts speak for the number); the
   * engine call runs after the answer and its failure is only logged: the gateway's state is what
   * the team sees.
   */
  async read(actor: Actor, id: number) {
    const { access } = await this.visible(actor, id);
    if (!canSend(access)) throw forbidden('Viewers and people a chat is shared with read without marking it read');
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
    const [access, chat] = await Promise.all([chatAccess(this.db, actor.user, id), repo.getChat(this.db, id)]);
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
