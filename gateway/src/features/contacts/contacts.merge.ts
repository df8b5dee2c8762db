import type { Knex } from 'knex';
import type { AuthUser } from '../../platform/http/auth-context.js';
import { preparedQuery } from '../../platform/db/prepared.js';
import { decodeCursor, encodeCursor } from '../../platform/http/pagination.js';
import { visibleDeviceIds } from '../access/access.policy.js';
import { presentWaContact, type WaContactRow } from './contacts.presenter.js';

/**
 * The merge of CRM contacts and WhatsApp contacts. A WhatsApp contact's key is its E.164 number (from
 * its JID, or from the LID map for a `@lid` JID — kept in wa_contacts.phone_e164 by triggers), or its
 * JID when no number is known (wa_contacts.match_key). A CRM contact and a WhatsApp contact match when the keys are equal.
 * Both sides are indexed on that key, so every question is an index join: nothing is precomputed and
 * nothing needs recomputing when either side changes.
 *
 * Only WhatsApp contacts of devices the caller may see (the access policy) take part.
 */

/** wa_contacts.match_key (kept by a trigger): the number, or the JID of a LID not mapped yet; null for groups. */
const KEY = 'w.match_key';

export type MatchKind = 'matched' | 'whatsapp-only' | 'crm-only';

export interface MatchCounts {
  matched: number;
  whatsappOnly: number;
  crmOnly: number;
}

type Viewer = Pick<AuthUser, 'id' | 'orgId'>;

/**
 * The devices the access policy lets `user` see, resolved first: filtering on a list (instead of
 * joining devices) keeps the WhatsApp side in key order, so joins with contacts are ordered merges.
 */
export async function visibleDevices(db: Knex, user: Viewer): Promise<string[]> {
  return ((await visibleDeviceIds(db, user)) as { id: string }[]).map((d) => d.id);
}

function visibleWa(db: Knex, user: Viewer, devices: string[]) {
  return db('wa_contacts as w').where('w.org_id', user.orgId).whereNotNull('w.match_key').whereRaw('w.device_id = ANY(?::uuid[])', [devices]);
}

/**
 * Runs `work` with the plan pinned to ordered merges of the two key indexes. The planner cannot see
 * that keys on both sides overlap (it estimates anti joins at one row) and otherwise picks hash joins
 * plus a full sort, or per-row probes, for a page of 50; merges are linear in the two index-only scans
 * and stop at the end of the page.
 */
function ordered<T>(db: Knex, work: (trx: Knex) => Promise<T>): Promise<T> {
  return db.transaction(
    async (trx) => {
      await trx.raw(
        `SELECT set_config('enable_hashjoin', 'off', true), set_config('enable_hashagg', 'off', true), set_config('enable_nestloop', 'off', true),
                set_config('enable_seqscan', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)`,
      );
      return work(trx);
    },
    { readOnly: true },
  );
}

export function matchCounts(db: Knex, user: Viewer, devices: string[]): Promise<MatchCounts> {
  return ordered(db, (trx) => countMatches(trx, user, devices));
}

async function countMatches(db: Knex, user: Viewer, devices: string[]): Promise<MatchCounts> {
  const w = visibleWa(db, user, devices).distinct(db.raw(`${KEY} AS k`));
  const { rows } = await db.raw(
    `WITH w AS ?,
          c AS (SELECT phone_e164 AS k FROM contacts WHERE org_id = ? AND deleted_at IS NULL)
     SELECT count(*) FILTER (WHERE c.k IS NOT NULL AND w.k IS NOT NULL)::int AS matched,
            count(*) FILTER (WHERE w.k IS NULL)::int AS crm_only,
            count(*) FILTER (WHERE c.k IS NULL)::int AS whatsapp_only
       FROM c FULL JOIN w ON w.k = c.k`,
    [w, user.orgId],
  );
  const r = rows[0] as { matched: number; crm_only: number; whatsapp_only: number };
  return { matched: r.matched, whatsappOnly: r.whatsapp_only, crmOnly: r.crm_only };
}

/** One page of one kind, in key (number) order; the cursor is the last key shown. */
export function matchPage(db: Knex, user: Viewer, devices: string[], kind: MatchKind, limit: number, cursor?: string) {
  return ordered(db, (trx) => pageOf(trx, user, devices, kind, limit, cursor));
}

async function pageOf(db: Knex, user: Viewer, devices: string[], kind: MatchKind, limit: number, cursor?: string) {
  const after = decodeCursor(cursor, 1)?.[0] as string | undefined;
  let keys: { k: string; contact: ContactRef | null }[];
  if (kind === 'whatsapp-only') {
    const q = visibleWa(db, user, devices)
      .distinct(db.raw(`${KEY} AS k`))
      .whereNotExists(db('contacts as c').whereRaw(`c.org_id = w.org_id AND c.deleted_at IS NULL AND c.phone_e164 = ${KEY}`).select(db.raw('1')))
      .orderBy('k')
      .limit(limit + 1);
    if (after !== undefined) q.whereRaw(`${KEY} > ?`, [after]);
    keys = ((await q) as { k: string }[]).map((r) => ({ k: r.k, contact: null }));
  } else {
    const exists = visibleWa(db, user, devices).whereRaw(`${KEY} = c.phone_e164`).select(db.raw('1'));
    const q = db('contacts as c')
      .where('c.org_id', user.orgId)
      .whereNull('c.deleted_at')
      .select('c.id', 'c.name', 'c.phone_e164', 'c.email', 'c.company')
      .orderBy('c.phone_e164')
      .limit(limit + 1);
    if (kind === 'matched') q.whereExists(exists);
    else q.whereNotExists(exists);
    if (after !== undefined) q.where('c.phone_e164', '>', after);
    keys = ((await q) as ContactDbRef[]).map((c) => ({
      k: c.phone_e164,
      contact: { id: c.id, name: c.name, phone: c.phone_e164, email: c.email, company: c.company },
    }));
  }
  const more = keys.length > limit;
  const page = more ? keys.slice(0, limit) : keys;
  const wa = kind === 'crm-only' || !page.length ? [] : await waByKeys(db, user, devices, page.map((p) => p.k));
  const items = page.map((p) => ({
    phone: p.k.startsWith('+') ? p.k : null,
    contact: p.contact,
    whatsapp: wa.filter((w) => (w.phone_e164 ?? w.jid) === p.k).map(presentWaContact),
  }));
  const last = page[page.length - 1];
  return { items, nextCursor: more && last ? encodeCursor([last.k]) : null };
}

interface ContactDbRef {
  id: string;
  name: string;
  phone_e164: string;
  email: string | null;
  company: string | null;
}
interface ContactRef {
  id: string;
  name: string;
  phone: string;
  email: string | null;
  company: string | null;
}

/** The visible WhatsApp contacts with these keys (numbers or JIDs). */
export function waByKeys(db: Knex, user: Viewer, devices: string[], keys: string[]): Promise<WaContactRow[]> {
  return visibleWa(db, user, devices)
    .whereRaw(`${KEY} = ANY(?::text[])`, [keys])
    .join('devices as d', 'd.id', 'w.device_id')
    .select('w.id', 'w.device_id', 'w.jid', 'w.phone_e164', 'w.push_name', 'w.full_name', 'w.business_name', 'd.name as device_name')
    .orderBy([{ column: 'w.device_id' }, { column: 'w.id' }]);
}

export interface CrmBadge {
  contactId: string;
  name: string;
  phone: string;
  tags: { id: string; name: string; color: string }[];
}

/**
 * For the chats API: the CRM contact behind each chat, keyed by chat JID. A person JID gives its
 * number directly; a `@lid` JID goes through that device's LID map; groups give nothing. One query
 * for any number of chats. The caller has already decided which chats the user may see.
 */
export async function crmForChats(db: Knex, orgId: string, chats: { deviceId: string; jid: string }[]): Promise<Map<string, CrmBadge>> {
  const out = new Map<string, CrmBadge>();
  const people = chats.filter((c) => c.jid.endsWith('@s.whatsapp.net') || c.jid.endsWith('@lid'));
  if (!people.length) return out;
  const { rows } = await preparedQuery(db, db.raw(
    `WITH input AS (SELECT * FROM unnest(?::uuid[], ?::text[]) AS i(device_id, jid)),
          keyed AS (
            SELECT i.jid, coalesce(wa_jid_phone(i.jid), wa_jid_phone(l.phone_jid)) AS phone
              FROM input i LEFT JOIN lid_map l ON l.device_id = i.device_id AND l.lid = i.jid)
     SELECT k.jid, c.id, c.name, c.phone_e164,
            coalesce((SELECT json_agg(json_build_object('id', t.id, 'name', t.name, 'color', t.color) ORDER BY lower(t.name))
                        FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.contact_id = c.id), '[]'::json) AS tags
       FROM keyed k
       JOIN contacts c ON c.org_id = ? AND c.deleted_at IS NULL AND c.phone_e164 = k.phone`,
    [people.map((c) => c.deviceId), people.map((c) => c.jid), orgId],
  ));
  for (const r of rows as { jid: string; id: string; name: string; phone_e164: string; tags: CrmBadge['tags'] }[]) {
    out.set(r.jid, { contactId: r.id, name: r.name, phone: r.phone_e164, tags: r.tags });
  }
  return out;
}

/**
 * Fills wa_contacts.phone_e164 from JIDs and the LID map for one device (or all). The triggers keep
 * it filled on every write; this repairs rows written while they were disabled (bulk loads, restores).
 * Returns how many rows changed.
 */
export async function normalizeWaContactPhones(db: Knex, deviceId?: string): Promise<number> {
  const { rowCount } = await db.raw(
    `UPDATE wa_contacts w SET phone_e164 = x.phone
       FROM (SELECT w2.id, coalesce(wa_jid_phone(w2.jid), wa_jid_phone(l.phone_jid), CASE WHEN w2.jid LIKE '%@lid' THEN w2.phone_e164 END) AS phone
               FROM wa_contacts w2 LEFT JOIN lid_map l ON l.device_id = w2.device_id AND l.lid = w2.jid
              WHERE (?::uuid IS NULL OR w2.device_id = ?::uuid)) x
      WHERE w.id = x.id AND w.phone_e164 IS DISTINCT FROM x.phone`,
    [deviceId ?? null, deviceId ?? null],
  );
  return rowCount ?? 0;
}
