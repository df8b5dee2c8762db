import { isUniqueViolation } from '../../platform/db/pg-errors.js';
import type { Knex } from 'knex';
import { conflict, notFound } from '../../platform/errors.js';
import type { Actor, AuthUser } from '../../platform/http/auth-context.js';
import type { AuditService } from '../audit/audit.service.js';
import * as repo from './tags.repository.js';
import { presentTag } from './tags.presenter.js';

/** For contacts: tags of many contacts at once, and which ids exist, tags by name for imports (in the caller's transaction). */
export { tagsOfContacts, existingTagIds, ensureTagsByName, type TagRow } from './tags.repository.js';

/**
 * Announces, in the caller's transaction, that these contacts changed — here, how their tags read
 * (ContactsService.announce: the contacts feature owns contact.updated).
 */
export type ContactsChanged = (trx: Knex, orgId: string, contactIds: string[]) => Promise<void>;

/** Labels on CRM contacts, one set per organization; names are unique regardless of case. */
export class TagsService {
  constructor(
    private readonly db: Knex,
    private readonly audit: AuditService,
    private readonly contactsChanged: ContactsChanged = async () => undefined,
  ) {}

  async list(actor: Actor) {
    return { items: (await repo.listTags(this.db, actor.user.orgId)).map(presentTag) };
  }

  async create(actor: Actor, input: { name: string; color?: string }) {
    const tag = await this.uniqueName(() =>
      this.db.transaction(async (trx) => {
        const t = await repo.insertTag(trx, actor.user.orgId, input);
        await this.record(trx, actor, 'tag.create', t.id, { name: t.name, color: t.color });
        return t;
      }),
    );
    return presentTag(tag);
  }

  async update(actor: Actor, id: string, patch: { name?: string; color?: string }) {
    const tag = await this.uniqueName(() =>
      this.db.transaction(async (trx) => {
        const before = await repo.findTag(trx, actor.user.orgId, id);
        if (!before) throw notFound('Tag');
        const after = await repo.updateTag(trx, actor.user.orgId, id, patch);
        if (!after) throw notFound('Tag');
        await this.record(trx, actor, 'tag.update', id, {
          ...(patch.name !== undefined ? { name: { from: before.name, to: after.name } } : {}),
          ...(patch.color !== undefined ? { color: { from: before.color, to: after.color } } : {}),
        });
        // Every contact carrying it now reads differently.
        if (before.name !== after.name || before.color !== after.color) await this.contactsChanged(trx, actor.user.orgId, await repo.contactsWithTag(trx, id));
        return after;
      }),
    );
    const [withCount] = (await repo.listTags(this.db, actor.user.orgId).where('t.id', tag.id)) as (repo.TagRow & { contact_count: number })[];
    return presentTag(withCount ?? tag);
  }

  async remove(actor: Actor, id: string) {
    await this.db.transaction(async (trx) => {
      const had = await repo.contactsWithTag(trx, id);
      const gone = await repo.deleteTag(trx, actor.user.orgId, id);
      if (!gone) throw notFound('Tag');
      await this.contactsChanged(trx, actor.user.orgId, had);
      await this.record(trx, actor, 'tag.delete', id, { name: gone.tag.name, removedFromContacts: gone.removedFrom });
    });
  }

  private record(trx: Knex, actor: Actor, action: string, targetId: string, details?: Record<string, unknown>) {
    return this.audit.record(
      { orgId: actor.user.orgId, actorId: actor.user.id, action, targetType: 'tag', targetId, details, requestId: actor.requestId },
      trx,
    );
  }

  private async uniqueName<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict('tag_exists', 'A tag with this name already exists');
      throw e;
    }
  }
}
