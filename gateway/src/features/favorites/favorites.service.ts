import type { Knex } from 'knex';
import { notFound } from '../../platform/errors.js';
import type { AuthUser } from '../../platform/http/auth-context.js';
import { canOnChat, visibleChatIds } from '../access/access.policy.js';
import * as repo from './favorites.repository.js';

/**
 * A person's own pinned contacts and chats, in their order. Pins are private (no audit). A chat can
 * be pinned only while the access policy lets the person see it, and a pin of a chat they can no
 * longer see (or of a deleted contact) is left out of the list.
 */
export class FavoritesService {
  constructor(private readonly db: Knex) {}

  async list(user: AuthUser) {
    const pins = await repo.listOwn(this.db, user.id);
    const contactIds = pins.filter((p) => p.target_type === 'contact').map((p) => p.target_id);
    const chatIds = pins.filter((p) => p.target_type === 'chat').map((p) => Number(p.target_id));
    const [contacts, chats] = await Promise.all([
      contactIds.length
        ? this.db('contacts').where({ org_id: user.orgId }).whereNull('deleted_at').whereIn('id', contactIds).select<{ id: string; name: string; phone_e164: string }[]>('id', 'name', 'phone_e164')
        : [],
      chatIds.length
        ? this.db('chats').whereIn('id', chatIds).whereIn('id', visibleChatIds(this.db, user)).select<{ id: number; device_id: string; jid: string; name: string | null }[]>('id', 'device_id', 'jid', 'name')
        : [],
    ]);
    const contactById = new Map(contacts.map((c) => [c.id, c]));
    const chatById = new Map(chats.map((c) => [String(c.id), c]));
    const items = [];
    for (const p of pins) {
      if (p.target_type === 'contact') {
        const c = contactById.get(p.target_id);
        if (c) items.push({ type: 'contact' as const, position: items.length, contact: { id: c.id, name: c.name, phone: c.phone_e164 }, chat: null, pinnedAt: p.created_at.toISOString() });
      } else {
        const c = chatById.get(p.target_id);
        if (c) items.push({ type: 'chat' as const, position: items.length, contact: null, chat: { id: c.id, deviceId: c.device_id, jid: c.jid, name: c.name }, pinnedAt: p.created_at.toISOString() });
      }
    }
    return { items };
  }

  async pinContact(user: AuthUser, contactId: string, position?: number) {
    const c = await this.db('contacts').where({ id: contactId, org_id: user.orgId }).whereNull('deleted_at').first('id');
    if (!c) throw notFound('Contact');
    await this.place(user, 'contact', contactId, position);
    return this.list(user);
  }

  async pinChat(user: AuthUser, chatId: number, position?: number) {
    if (!(await canOnChat(this.db, user, 'chat.read', chatId))) throw notFound('Chat');
    await this.place(user, 'chat', String(chatId), position);
    return this.list(user);
  }

  async unpin(user: AuthUser, type: repo.TargetType, id: string) {
    await this.db.transaction(async (trx) => {
      await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`favorites:${user.id}`]);
      const n = await repo.removeOne(trx, user.id, type, id);
      if (!n) throw notFound('Favorite');
      const rest = await repo.listOwn(trx, user.id);
      await repo.writeOrder(trx, user.id, user.orgId, rest.map((p) => ({ type: p.target_type, id: p.target_id, createdAt: p.created_at })));
    });
  }

  /** Puts the target at `position` (clamped; absent = last), or moves it there when already pinned. */
  private async place(user: AuthUser, type: repo.TargetType, id: string, position?: number) {
    await this.db.transaction(async (trx) => {
      await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`favorites:${user.id}`]);
      const pins = await repo.listOwn(trx, user.id);
      const existing = pins.find((p) => p.target_type === type && p.target_id === id);
      const rest = pins.filter((p) => p !== existing).map((p) => ({ type: p.target_type, id: p.target_id, createdAt: p.created_at }));
      const at = position === undefined ? (existing ? pins.indexOf(existing) : rest.length) : Math.min(position, rest.length);
      rest.splice(at, 0, { type, id, createdAt: existing?.created_at ?? new Date() });
      await repo.writeOrder(trx, user.id, user.orgId, rest);
    });
  }
}
