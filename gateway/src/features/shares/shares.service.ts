import type { Knex } from 'knex';
import { AppError, forbidden, notFound } from '../../platform/errors.js';
import type { Actor, AuthUser } from '../../platform/http/auth-context.js';
import { decodeCursor, toPage } from '../../platform/http/pagination.js';
import { allows, chatRelation } from '../access/access.policy.js';
import type { AuditService } from '../audit/audit.service.js';
import { presentChat, type ChatRow } from '../chats/chats.presenter.js';
import type { ChatsService } from '../chats/chats.service.js';
import { appendEvents } from '../realtime/event-log.js';
import * as repo from './shares.repository.js';

const present = (s: { chat_id: number; grantee_id: string; granted_by: string; created_at: Date }, u: { name: string; email: string }) => ({
  chatId: Number(s.chat_id),
  userId: s.grantee_id,
  name: u.name,
  email: u.email,
  grantedBy: s.granted_by,
  createdAt: new Date(s.created_at).toISOString(),
});

/**
 * Read-only grants of one chat to another person of the org. The owner and agents share and
 * revoke; a grantee reads (history and live events) but never shares, sends or deletes. A revoked
 * grantee loses the chat at once: every read asks the access policy, which reads chat_shares.
 */
export class SharesService {
  constructor(
    private readonly db: Knex,
    private readonly chats: ChatsService,
    private readonly audit: AuditService,
  ) {}

  async create(actor: Actor, chatId: number, granteeId: string) {
    const chat = await this.manageable(actor, chatId);
    const grantee = await repo.activeUserInOrg(this.db, actor.user.orgId, granteeId);
    if (!grantee) throw notFound('User');
    if (await chatRelation(this.db, { id: grantee.id, orgId: actor.user.orgId }, chatId))
      throw new AppError('already_visible', 409, 'That person can already see this chat');
    return this.db.transaction(async (trx) => {
      const row = await repo.insertShare(trx, { org_id: actor.user.orgId, chat_id: chatId, grantee_id: grantee.id, granted_by: actor.user.id });
      if (!row) throw new AppError('already_visible', 409, 'That person can already see this chat');
      await this.record(trx, actor, 'chat.share', chatId, { granteeId: grantee.id });
      await appendEvents(trx, [
        { orgId: actor.user.orgId, deviceId: chat.device_id, chatId, type: 'share.created', data: { chatId, granteeId: grantee.id, grantedBy: actor.user.id, chat: presentChat(chat) } },
      ]);
      return present(row, grantee);
    });
  }

  /** Who the chat is shared with: for the people working the number, not for grantees. */
  async list(actor: Actor, chatId: number) {
    const { access } = await this.chats.visible(actor, chatId);
    if (!allows('chat.share.read', actor.user.role, access)) throw forbidden('A shared chat’s other grants are for the people working the number');
    const rows = await repo.listForChat(this.db, chatId);
    return { items: rows.map((r) => present(r, r)) };
  }

  async revoke(actor: Actor, chatId: number, granteeId: string) {
    const chat = await this.manageable(actor, chatId);
    await this.db.transaction(async (trx) => {
      if (!(await repo.deleteShare(trx, chatId, granteeId))) throw notFound('Share');
      await this.record(trx, actor, 'chat.unshare', chatId, { granteeId });
      await appendEvents(trx, [
        { orgId: actor.user.orgId, deviceId: chat.device_id, chatId, type: 'share.revoked', data: { chatId, granteeId, revokedBy: actor.user.id } },
      ]);
    });
  }

  async sharedWithMe(actor: Actor, q: { limit: number; cursor?: string }) {
    const key = decodeCursor(q.cursor, 1);
    const beforeId = key ? Number(key[0]) : undefined;
    if (beforeId !== undefined && !Number.isSafeInteger(beforeId)) throw new AppError('validation_failed', 400, 'Invalid query: cursor');
    const rows = await repo.sharedWith(this.db, actor.user, q.limit, beforeId);
    return toPage(rows, q.limit, (r) => [Number(r.share_id)], (r) => ({
      chat: presentChat(r as ChatRow),
      sharedBy: { id: r.granted_by, name: r.granted_by_name },
      sharedAt: new Date(r.shared_at).toISOString(),
    }));
  }

  /** The chat when the caller may share it: 404 if they cannot see it, 403 if they only read it. */
  private async manageable(actor: Actor, chatId: number) {
    const { chat, access } = await this.chats.visible(actor, chatId);
    if (!allows('chat.share', actor.user.role, access)) throw forbidden('Only the owner and agents of the number share this chat');
    return chat;
  }

  private record(trx: Knex, actor: Actor, action: string, chatId: number, details: Record<string, unknown>) {
    return this.audit.record(
      { orgId: actor.user.orgId, actorId: actor.user.id, action, targetType: 'chat', targetId: String(chatId), details, requestId: actor.requestId },
      trx,
    );
  }
}
