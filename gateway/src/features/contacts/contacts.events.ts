import type { Knex } from 'knex';
import type { EventBus } from '../../platform/events/event-bus.js';
import { appendEvents, type NewEvent } from '../realtime/event-log.js';

/** The most contact ids one `contact.updated` log row names: a bulk change is logged in slices of this many. */
export const IDS_PER_EVENT = 5_000;

/** One contact changed (create, edit, tags, delete): its log row carries what a browser shows at once. */
export async function contactChanged(trx: Knex, events: EventBus, c: { id: string; org_id: string; name: string; phone_e164: string }, deleted = false) {
  await appendEvents(trx, [{ orgId: c.org_id, type: 'contact.updated', data: { id: c.id, name: c.name, phone: c.phone_e164, deleted } }]);
  events.afterCommit(trx, 'contact.updated', { orgId: c.org_id, contactId: c.id, deleted });
}

/**
 * Many contacts changed in one transaction (CSV and legacy imports; a tag renamed or deleted). Not a
 * log row — and a socket frame — per contact: one row per {@link IDS_PER_EVENT} ids,
 * `{bulk: true, count, ids}`. Browsers get it without the ids (the realtime hub strips them) and
 * refetch what they show; durable consumers hear one `contact.updated` per id (domainEventsOf), and
 * so do this process's listeners after commit. `events` is absent where no process listens (the
 * legacy-import command).
 */
export async function contactsChanged(trx: Knex, orgId: string, ids: Iterable<string>, events?: EventBus) {
  const all = [...ids];
  if (!all.length) return;
  const rows: NewEvent[] = [];
  for (let i = 0; i < all.length; i += IDS_PER_EVENT) {
    const slice = all.slice(i, i + IDS_PER_EVENT);
    rows.push({ orgId, type: 'contact.updated', data: { bulk: true, count: slice.length, ids: slice } });
  }
  await appendEvents(trx, rows);
  if (!events?.has('contact.updated')) return;
  for (const id of all) events.afterCommit(trx, 'contact.updated', { orgId, contactId: id, deleted: false });
}
