import type { Knex } from 'knex';
import { forbidden, notFound } from '../../platform/errors.js';
import type { Actor, AuthUser } from '../../platform/http/auth-context.js';
import { toPage } from '../../platform/http/pagination.js';
import { allows, chatRelation } from '../access/access.policy.js';
import type { AuditService } from '../audit/audit.service.js';
import { presentChat } from '../chats/chats.presenter.js';
import { cursorKey } from '../chats/chats.service.js';
import type { ContactsService } from '../contacts/contacts.service.js';
import { appendEvents } from '../realtime/event-log.js';
import { presentMessage, presentMessageWithReactions } from './messages.presenter.js';
import * as repo from './messages.repository.js';

const DAY = 86_400_000;

/** Message logs, stats, one message, and hiding a message for the org. */
export class MessagesService {
  constructor(
    private readonly db: Knex,
    private readonly audit: AuditService,
    private readonly contacts: ContactsService,
  ) {}

  async list(actor: Actor, f: Omit<repo.LogFilter, 'after'> & { cursor?: string }) {
    const rows = await repo.listLog(this.db, actor.user, { ...f, after: cursorKey(f.cursor) });
    const page = toPage(rows, f.limit, (r) => [r.k, Number(r.id)], (r) => r);
    const chats = page.items.length ? await repo.chatsByIds(this.db, [...new Set(page.items.map((m) => Number(m.chat_id)))]) : [];
    const chatOf = new Map(chats.map((c) => [Number(c.id), { id: Number(c.id), name: c.name, jid: c.jid }]));
    return {
      items: page.items.map((m) => ({
        ...presentMessageWithReactions(m, m.reactions, m.poll_votes),
        chat: chatOf.get(Number(m.chat_id))!,
      })),
      nextCursor: page.nextCursor,
    };
  }

  /** Counts over the messages the caller may see, in [since, until) — by default the last 30 days. */
  async stats(actor: Actor, q: { since?: string; until?: string }) {
    const until = q.until ? new Date(q.until) : new Date();
    const since = q.since ? new Date(q.since) : new Date(until.getTime() - 30 * DAY);
    const rows = await repo.stats(this.db, actor.user, since.toISOString(), until.toISOString());
    const of = (gid: number) => rows.filter((r) => r.gid === gid);
    const devices = of(repo.SETS.device);
    const top = of(repo.SETS.chat);
    const [names, chats] = await Promise.all([
      devices.length ? repo.deviceNames(this.db, devices.map((d) => d.device_id!)) : [],
      top.length ? repo.chatsByIds(this.db, top.map((t) => Number(t.chat_id))) : [],
    ]);
    const crm = chats.length ? await this.contacts.crmForChats(actor.user.orgId, chats.map((c) => ({ deviceId: c.device_id, jid: c.jid }))) : new Map();
    const chatOf = new Map(chats.map((c) => [Number(c.id), c]));
    const byCount = <T extends { count: number }>(a: T[]) => a.sort((x, y) => y.count - x.count);
    return {
      since: since.toISOString(),
      until: until.toISOString(),
      total: of(repo.SETS.total)[0]?.n ?? 0,
      perDay: of(repo.SETS.day)
        .map((r) => ({ day: r.day!, count: r.n }))
        .sort((a, b) => a.day.localeCompare(b.day)),
      perDirection: byCount(of(repo.SETS.direction).map((r) => ({ direction: r.direction!, count: r.n }))),
      perStatus: byCount(of(repo.SETS.status).map((r) => ({ status: r.status!, count: r.n }))),
      perDevice: byCount(devices.map((r) => ({ deviceId: r.device_id!, name: names.find((d) => d.id === r.device_id)?.name ?? null, count: r.n }))),
      topContacts: top.map((r) => {
        const c = chatOf.get(Number(r.chat_id))!;
        return { chatId: Number(r.chat_id), jid: c.jid, name: c.name, crmName: crm.get(c.jid)?.name ?? null, count: r.n };
      }),
    };
  }

  async get(actor: Actor, id: number) {
    const { message } = await this.visible(actor, id);
    return { ...presentMessageWithReactions(message, message.reactions, message.poll_votes), edits: message.edits ?? [] };
  }

  /**
   * Hides a message for the whole org (soft: the row stays, every list and search leaves it out).
   * Owner and agents only; audited in the same transaction; browsers get `message.updated` with
   * `deleted: true`, and `chat.updated` when it was the chat's preview.
   */
  async remove(actor: Actor, id: number) {
    const { access } = await this.visible(actor, id);
    if (!allows('message.delete', actor.user.role, access)) throw forbidden('Only the owner and agents of the number delete messages');
    await this.db.transaction(async (trx) => {
      const m = await repo.softDelete(trx, id);
      if (!m) throw notFound('Message');
      const chatId = Number(m.chat_id);
      await this.audit.record(
        { orgId: actor.user.orgId, actorId: actor.user.id, action: 'message.delete', targetType: 'message', targetId: String(id), details: { chatId, deviceId: m.device_id }, requestId: actor.requestId },
        trx,
      );
      const chat = await repo.refreshPreview(trx, chatId, id);
      await appendEvents(trx, [
        { orgId: m.org_id, deviceId: m.device_id, chatId, type: 'message.updated', data: { ...presentMessage(m), deleted: true } },
        ...(chat ? [{ orgId: m.org_id, deviceId: m.device_id, chatId, type: 'chat.updated' as const, data: presentChat(chat) }] : []),
      ]);
    });
  }

  /** The message if the caller may see its chat; 404 otherwise (as for chats). */
  private async visible(actor: Actor, id: number) {
    const message = await repo.findMessage(this.db, id);
    const access = message ? await chatRelation(this.db, actor.user, Number(message.chat_id)) : null;
    if (!message || !access || message.org_id !== actor.user.orgId) throw notFound('Message');
    return { message, access };
  }
}
