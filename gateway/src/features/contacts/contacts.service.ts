import { isUniqueViolation } from '../../platform/db/pg-errors.js';
import type { Knex } from 'knex';
import { AppError, conflict, notFound } from '../../platform/errors.js';
import type { Actor, AuthUser } from '../../platform/http/auth-context.js';
import { decodeCursor, toPage } from '../../platform/http/pagination.js';
import { normalizePhone, type Region } from '../../platform/phone.js';
import { canOnChat, visibleDeviceIds } from '../access/access.policy.js';
import type { AuditService } from '../audit/audit.service.js';
import { existingTagIds, tagsOfContacts } from '../tags/tags.service.js';
import * as repo from './contacts.repository.js';
import { presentContact, presentWaContact } from './contacts.presenter.js';
import { crmForChats, matchCounts, matchPage, visibleDevices, waByKeys, type MatchKind } from './contacts.merge.js';
import { cardChats, contactStats } from './contacts.card.js';
import type { EventBus } from '../../platform/events/event-bus.js';
import { contactChanged, contactsChanged } from './contacts.events.js';
import { importContacts, type ImportOptions } from './contacts.import.js';
import type { Readable } from 'node:stream';

export { crmForChats, normalizeWaContactPhones, type CrmBadge } from './contacts.merge.js';
/** For other features that change many contacts at once (the legacy import). */
export { contactsChanged } from './contacts.events.js';

export const invalidPhone = (field = 'phone', value?: string) =>
  new AppError('validation_failed', 400, `Invalid body: ${field}`, [
    { in: 'body', field, message: value === undefined ? 'not a phone number' : `"${value}" is not a valid phone number` },
  ]);

interface CreateInput {
  name?: string;
  phone?: string;
  email?: string | null;
  company?: string | null;
  notes?: string | null;
  tagIds?: string[];
  fromChatId?: number;
  waContactId?: number;
}

type Patch = Partial<Pick<CreateInput, 'name' | 'phone' | 'email' | 'company' | 'notes'>>;

/** CRM contacts: one per number and organization, numbers in E.164, soft delete, every change audited. */
export class ContactsService {
  constructor(
    private readonly db: Knex,
    private readonly audit: AuditService,
    readonly region: Region,
    private readonly events: EventBus,
  ) {}

  normalize(phone: string, field = 'phone'): string {
    const e164 = normalizePhone(phone, this.region);
    if (!e164) throw invalidPhone(field, phone);
    return e164;
  }

  async create(actor: Actor, input: CreateInput) {
    const prefill = input.fromChatId !== undefined ? await this.fromChat(actor, input.fromChatId) : input.waContactId !== undefined ? await this.fromWaContact(actor, input.waContactId) : undefined;
    const phone = input.phone !== undefined ? this.normalize(input.phone) : prefill!.phone;
    const name = input.name ?? prefill?.name ?? phone;
    if (input.tagIds?.length) await this.checkTags(actor, input.tagIds);
    const row = await this.unique(actor, phone, () =>
      this.db.transaction(async (trx) => {
        await this.assertFree(trx, actor, phone);
        const c = await repo.insertContact(trx, actor.user.orgId, actor.user.id, {
          name,
          phone_e164: phone,
          email: input.email ?? null,
          company: input.company ?? null,
          notes: input.notes ?? null,
        });
        if (input.tagIds?.length) await repo.setContactTags(trx, c.id, input.tagIds);
        await this.record(trx, actor, 'contact.create', c.id, {
          name,
          phone,
          ...(input.fromChatId !== undefined ? { fromChatId: input.fromChatId } : {}),
          ...(input.waContactId !== undefined ? { waContactId: input.waContactId } : {}),
          ...(input.tagIds?.length ? { tagIds: input.tagIds } : {}),
        });
        await this.changed(trx, c);
        return c;
      }),
    );
    return this.present(row);
  }

  async list(actor: Actor, f: { limit: number; cursor?: string; q?: string; tag?: string; favorite?: boolean }) {
    const after = decodeCursor(f.cursor, 2) as [string, string] | undefined;
    const rows = await repo.listContacts(this.db, actor.user.orgId, { q: f.q, tag: f.tag, favoriteOf: f.favorite ? actor.user.id : undefined, limit: f.limit, after });
    const ids = rows.slice(0, f.limit).map((r) => r.id);
    const [tags, pinned] = await Promise.all([tagsOfContacts(this.db, ids), f.favorite ? new Set(ids) : repo.pinnedAmong(this.db, actor.user.id, ids)]);
    return toPage(rows, f.limit, (r) => [r.name_key, r.id], (r) => ({ ...presentContact(r, tags.get(r.id)), favorite: pinned.has(r.id) }));
  }

  async get(actor: Actor, id: string) {
    return this.present(await this.mustFind(this.db, actor, id));
  }

  async update(actor: Actor, id: string, patch: Patch) {
    const phone = patch.phone !== undefined ? this.normalize(patch.phone) : undefined;
    const row = await this.unique(actor, phone, () =>
      this.db.transaction(async (trx) => {
        const before = await this.mustFind(trx, actor, id);
        if (phone && phone !== before.phone_e164) await this.assertFree(trx, actor, phone);
        const fields: Partial<repo.ContactFields> = {
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(phone !== undefined ? { phone_e164: phone } : {}),
          ...(patch.email !== undefined ? { email: patch.email } : {}),
          ...(patch.company !== undefined ? { company: patch.company } : {}),
          ...(patch.notes !== undefined ? { notes: patch.notes } : {}),
        };
        const after = await repo.updateContact(trx, actor.user.orgId, id, fields);
        if (!after) throw notFound('Contact');
        const changes: Record<string, unknown> = {};
        for (const k of Object.keys(fields) as (keyof repo.ContactFields)[]) {
          if (before[k] !== after[k]) changes[k] = k === 'notes' ? { changed: true } : { from: before[k], to: after[k] };
        }
        await this.record(trx, actor, 'contact.update', id, changes);
        await this.changed(trx, after);
        return after;
      }),
    );
    return this.present(row);
  }

  async remove(actor: Actor, id: string) {
    await this.db.transaction(async (trx) => {
      const c = await repo.softDeleteContact(trx, actor.user.orgId, id);
      if (!c) throw notFound('Contact');
      await this.record(trx, actor, 'contact.delete', id, { name: c.name, phone: c.phone_e164 });
      await this.changed(trx, c, true);
    });
  }

  async setTags(actor: Actor, id: string, tagIds: string[]) {
    const unique = [...new Set(tagIds)];
    await this.checkTags(actor, unique);
    const row = await this.db.transaction(async (trx) => {
      const c = await this.mustFind(trx, actor, id);
      await trx.raw('SELECT 1 FROM contacts WHERE id = ? FOR UPDATE', [id]);
      const { added, removed } = await repo.setContactTags(trx, id, unique);
      if (added.length || removed.length) {
        await this.record(trx, actor, 'contact.tags', id, { added, removed });
        await this.changed(trx, c);
      }
      return c;
    });
    return this.present(row);
  }

  /** Many contacts changed in the caller's transaction (their tags were renamed or deleted): contact.updated for each, in bulk. */
  announce(trx: Knex, orgId: string, contactIds: string[]) {
    return contactsChanged(trx, orgId, contactIds, this.events);
  }

  /** A CSV import (contacts.import.ts); every contact it changes is announced once it commits. */
  importCsv(actor: Actor, source: Readable, opts: ImportOptions) {
    return importContacts(this.db, this.audit, actor, this.region, source, opts, this.events);
  }

  async matches(actor: Actor, q: { kind: MatchKind; limit: number; cursor?: string }) {
    const devices = await visibleDevices(this.db, actor.user);
    const [counts, page] = await Promise.all([matchCounts(this.db, actor.user, devices), matchPage(this.db, actor.user, devices, q.kind, q.limit, q.cursor)]);
    return { kind: q.kind, counts, ...page };
  }

  async card(actor: Actor, id: string) {
    const c = await this.mustFind(this.db, actor, id);
    const devices = await visibleDevices(this.db, actor.user);
    const [contact, wa, chats] = await Promise.all([this.present(c), waByKeys(this.db, actor.user, devices, [c.phone_e164]), cardChats(this.db, actor.user, c.phone_e164)]);
    return { contact, whatsapp: wa.map((w) => ({ ...presentWaContact(w), deviceName: w.device_name ?? '' })), chats };
  }

  async stats(actor: Actor, id: string) {
    const c = await this.mustFind(this.db, actor, id);
    return contactStats(this.db, actor.user, c.phone_e164);
  }

  /** For the chats API: CRM name and tags of the contact behind each chat JID (see crmForChats). */
  crmForChats(orgId: string, chats: { deviceId: string; jid: string }[]) {
    return crmForChats(this.db, orgId, chats);
  }

  /** The "+" button on a WhatsApp-only chat: its number (by JID or LID map) and the best name WhatsApp gives. */
  private async fromChat(actor: Actor, chatId: number) {
    if (!(await canOnChat(this.db, actor.user, 'chat.read', chatId))) throw notFound('Chat');
    const chat = await this.db('chats as ch')
      .leftJoin('lid_map as l', (j) => j.on('l.device_id', 'ch.device_id').andOn('l.lid', 'ch.jid'))
      .leftJoin('wa_contacts as w', (j) => j.on('w.device_id', 'ch.device_id').andOn('w.jid', 'ch.jid'))
      .where('ch.id', chatId)
      .first<{ is_group: boolean; name: string | null; phone: string | null; full_name: string | null; push_name: string | null; business_name: string | null }>(
        'ch.is_group',
        'ch.name',
        this.db.raw('coalesce(wa_jid_phone(ch.jid), wa_jid_phone(l.phone_jid), w.phone_e164) AS phone'),
        'w.full_name',
        'w.push_name',
        'w.business_name',
      );
    if (!chat) throw notFound('Chat');
    if (chat.is_group || !chat.phone) throw cannotPrefill('fromChatId', chat.is_group ? 'a group chat has no single number' : 'the number behind this chat is not known yet');
    return { phone: chat.phone, name: chat.full_name ?? chat.push_name ?? chat.business_name ?? chat.name ?? undefined };
  }

  private async fromWaContact(actor: Actor, id: number) {
    const w = await this.db('wa_contacts as w')
      .where('w.id', id)
      .where('w.org_id', actor.user.orgId)
      .whereIn('w.device_id', visibleDeviceIds(this.db, actor.user))
      .first<{ phone_e164: string | null; full_name: string | null; push_name: string | null; business_name: string | null }>('w.phone_e164', 'w.full_name', 'w.push_name', 'w.business_name');
    if (!w) throw notFound('WhatsApp contact');
    if (!w.phone_e164) throw cannotPrefill('waContactId', 'the number of this WhatsApp contact is not known yet');
    return { phone: w.phone_e164, name: w.full_name ?? w.push_name ?? w.business_name ?? undefined };
  }

  /** `contact.updated` for browsers (the log) and for this process's listeners once committed. */
  private changed(trx: Knex, c: repo.ContactRow, deleted = false) {
    return contactChanged(trx, this.events, c, deleted);
  }

  private async present(c: repo.ContactRow) {
    const tags = await tagsOfContacts(this.db, [c.id]);
    return presentContact(c, tags.get(c.id));
  }

  private async mustFind(db: Knex, actor: Actor, id: string) {
    const c = await repo.findContact(db, actor.user.orgId, id);
    if (!c) throw notFound('Contact');
    return c;
  }

  private async checkTags(actor: Actor, ids: string[]) {
    const found = await existingTagIds(this.db, actor.user.orgId, ids);
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length)
      throw new AppError('validation_failed', 400, 'Invalid body: tagIds', missing.map((id) => ({ in: 'body', field: 'tagIds', message: `no tag ${id} here` })));
  }

  private async assertFree(db: Knex, actor: Actor, phone: string) {
    const existing = await repo.findByPhone(db, actor.user.orgId, phone);
    if (existing) throw exists(existing);
  }

  /** A concurrent insert of the same number loses at the unique index; answer like the pre-check does. */
  private async unique<T>(actor: Actor, phone: string | undefined, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      if (isUniqueViolation(e) && phone) {
        const existing = await repo.findByPhone(this.db, actor.user.orgId, phone);
        if (existing) throw exists(existing);
      }
      throw e;
    }
  }

  private record(trx: Knex, actor: Actor, action: string, targetId: string, details?: Record<string, unknown>) {
    return this.audit.record(
      { orgId: actor.user.orgId, actorId: actor.user.id, action, targetType: 'contact', targetId, details, requestId: actor.requestId },
      trx,
    );
  }
}

const exists = (c: repo.ContactRow) =>
  conflict('contact_exists', `A contact with the number ${c.phone_e164} already exists`, { contactId: c.id, name: c.name, phone: c.phone_e164 });

const cannotPrefill = (field: string, why: string) =>
  new AppError('validation_failed', 400, `Invalid body: ${field}`, [{ in: 'body', field, message: why }]);
