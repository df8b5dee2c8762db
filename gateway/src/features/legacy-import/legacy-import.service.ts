import type { Knex } from 'knex';
import mysql from 'mysql2/promise';
import { normalizePhone, type Region } from '../../platform/phone.js';
import type { Role } from '../../platform/http/auth-context.js';
import { REQUIRED, type Entity, type Mapping } from './legacy-import.mapping.js';
import { contactsChanged } from '../contacts/contacts.service.js';

export interface LegacyImportOptions {
  mysqlUrl: string;
  orgId?: string;
  orgName?: string;
  deviceId?: string;
  mapping: Mapping;
  region: Region;
  defaultRole: Role;
}

export interface Count {
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  skipped: number;
}
export type LegacyImportReport = { orgId: string; orgCreated: boolean; deviceId: string | null } & Record<Entity, Count> & {
    contactTags: number;
    notes: string[];
  };

const zero = (): Count => ({ read: 0, inserted: 0, updated: 0, unchanged: 0, skipped: 0 });
const str = (v: unknown) => (v === null || v === undefined ? null : String(v).trim() || null);
const COLOR = /^#[0-9a-f]{6}$/i;

/**
 * Reads the legacy MySQL `data_feeds` tables and upserts, in one PostgreSQL transaction:
 * users (by email; new ones have no password and must be given one by an admin), tags (by name),
 * CRM contacts (by E.164 number, with their tag) and WhatsApp contacts (by device and JID, only with
 * a device). Running it again changes nothing: every write is an upsert that skips identical rows.
 */
export async function importLegacy(db: Knex, o: LegacyImportOptions): Promise<LegacyImportReport> {
  const my = await mysql.createConnection({ uri: o.mysqlUrl, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
  try {
    const notes: string[] = [];
    const read = async (entity: Entity) => readTable(my, entity, o.mapping, notes);
    const legacy = { users: await read('users'), tags: await read('tags'), contacts: await read('contacts'), whatsapp: await read('whatsapp') };

    return await db.transaction(async (trx) => {
      const { orgId, created } = await resolveOrg(trx, o);
      let deviceId: string | null = null;
      if (o.deviceId) {
        const d = await trx('devices').where({ id: o.deviceId, org_id: orgId }).whereNull('deleted_at').first('id');
        if (!d) throw new Error(`--device-id ${o.deviceId}: no such device in organization ${orgId}`);
        deviceId = d.id;
      }
      const report: LegacyImportReport = {
        orgId,
        orgCreated: created,
        deviceId,
        users: zero(),
        tags: zero(),
        contacts: zero(),
        whatsapp: zero(),
        contactTags: 0,
        notes,
      };
      const userIds = await importUsers(trx, orgId, legacy.users, o, report.users, notes);
      const tagIds = await importTags(trx, orgId, legacy.tags, report.tags);
      report.contactTags = await importContacts(trx, orgId, legacy.contacts, o.region, userIds, tagIds, report.contacts, notes);
      await importWhatsapp(trx, orgId, deviceId, legacy.whatsapp, o.region, report.whatsapp, notes);
      await trx('audit_log').insert({
        org_id: orgId,
        actor_id: null,
        action: 'legacy.import',
        target_type: 'org',
        target_id: orgId,
        details: JSON.stringify({ users: report.users, tags: report.tags, contacts: report.contacts, whatsapp: report.whatsapp, contactTags: report.contactTags }),
      });
      return report;
    });
  } finally {
    await my.end();
  }
}

type LegacyRow = Record<string, unknown>;

async function readTable(my: mysql.Connection, entity: Entity, mapping: Mapping, notes: string[]): Promise<LegacyRow[]> {
  const { table, columns } = mapping[entity];
  const [cols] = (await my.query(`SHOW COLUMNS FROM ${mysql.escapeId(table)}`).catch((e: Error) => {
    throw new Error(`legacy table ${table} (${entity}) cannot be read: ${e.message}; name it in the mapping file`);
  })) as [{ Field: string }[], unknown];
  const present = new Set(cols.map((c) => c.Field.toLowerCase()));
  const select: string[] = [];
  const have = new Set<string>();
  for (const [field, source] of Object.entries(columns) as [string, string | null][]) {
    if (!source) continue;
    if (!present.has(source.toLowerCase())) {
      notes.push(`${table}.${source} (${entity}.${field}) not found: skipped`);
      continue;
    }
    select.push(`${mysql.escapeId(source)} AS ${mysql.escapeId(field)}`);
    have.add(field);
  }
  for (const need of REQUIRED[entity]) {
    if (!need.some((f) => have.has(f))) throw new Error(`legacy table ${table} has no column for ${entity}.${need.join(' or ')}; name it in the mapping file`);
  }
  const [rows] = await my.query(`SELECT ${select.join(', ')} FROM ${mysql.escapeId(table)}`);
  return rows as LegacyRow[];
}

async function resolveOrg(trx: Knex, o: LegacyImportOptions) {
  if (o.orgId) {
    const org = await trx('orgs').where({ id: o.orgId }).first('id');
    if (!org) throw new Error(`--org-id ${o.orgId}: no such organization`);
    return { orgId: org.id as string, created: false };
  }
  const name = o.orgName!;
  await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`legacy-org:${name}`]);
  const org = await trx('orgs').where({ name }).orderBy('created_at').first('id');
  if (org) return { orgId: org.id as string, created: false };
  const [made] = await trx('orgs').insert({ name }).returning('id');
  return { orgId: made.id as string, created: true };
}

async function importUsers(trx: Knex, orgId: string, rows: LegacyRow[], o: LegacyImportOptions, c: Count, notes: string[]) {
  const byLegacyId = new Map<string, string>();
  for (const r of rows) {
    c.read++;
    const email = str(r.email)?.toLowerCase();
    if (!email || !/^[^@\s]+@[^@\s]+$/.test(email)) {
      c.skipped++;
      continue;
    }
    const name = str(r.name) ?? email;
    const role = (o.mapping.roles[String(r.role ?? '').toLowerCase()] ?? o.defaultRole) as Role;
    const existing = await trx('users').whereRaw('lower(email) = ?', [email]).whereNull('deleted_at').first('id', 'org_id', 'name');
    if (existing && existing.org_id !== orgId) {
      c.skipped++;
      notes.push(`user ${email} belongs to another organization: skipped`);
      continue;
    }
    let id: string;
    if (existing) {
      id = existing.id;
      // Only the name follows the legacy data; a role changed here since stays as it is.
      if (existing.name !== name) {
        await trx('users').where({ id }).update({ name, updated_at: trx.fn.now() });
        c.updated++;
      } else c.unchanged++;
    } else {
      // No password: the person cannot sign in until an admin sets one (PUT /api/users/:id/password).
      [{ id }] = await trx('users').insert({ org_id: orgId, email, name, role, password_hash: null }).returning('id');
      c.inserted++;
    }
    if (r.id !== undefined && r.id !== null) byLegacyId.set(String(r.id), id);
  }
  return byLegacyId;
}

async function importTags(trx: Knex, orgId: string, rows: LegacyRow[], c: Count) {
  // Names differing only in case are one tag (as in the gateway): merged, the last color given wins.
  const byName = new Map<string, { name: string; color: string | null; legacyIds: string[] }>();
  for (const r of rows) {
    c.read++;
    const name = str(r.name)?.slice(0, 60);
    if (!name) {
      c.skipped++;
      continue;
    }
    const color = str(r.color);
    const key = name.toLowerCase();
    const seen = byName.get(key);
    if (seen) c.skipped++;
    const entry = seen ?? { name, color: null, legacyIds: [] };
    if (color && COLOR.test(color)) entry.color = color.toLowerCase();
    entry.legacyIds.push(String(r.id));
    byName.set(key, entry);
  }
  const byLegacyId = new Map<string, string>();
  for (const [key, t] of byName) {
    const existing = await trx('tags').where({ org_id: orgId }).whereRaw('lower(name) = ?', [key]).first('id', 'color');
    let id: string;
    if (existing) {
      id = existing.id;
      if (t.color && existing.color !== t.color) {
        await trx('tags').where({ id }).update({ color: t.color, updated_at: trx.fn.now() });
        c.updated++;
      } else c.unchanged++;
    } else {
      [{ id }] = await trx('tags').insert({ org_id: orgId, name: t.name, ...(t.color ? { color: t.color } : {}) }).returning('id');
      c.inserted++;
    }
    for (const l of t.legacyIds) byLegacyId.set(l, id);
  }
  return byLegacyId;
}

async function importContacts(
  trx: Knex,
  orgId: string,
  rows: LegacyRow[],
  region: Region,
  userIds: Map<string, string>,
  tagIds: Map<string, string>,
  c: Count,
  notes: string[],
) {
  const byPhone = new Map<string, { phone: string; name: string; email: string | null; company: string | null; notes: string | null; createdBy: string | null; tagId: string | null }>();
  let badPhones = 0;
  for (const r of rows) {
    c.read++;
    const phone = str(r.phone) ? normalizePhone(String(r.phone), region) : null;
    if (!phone) {
      c.skipped++;
      badPhones++;
      continue;
    }
    if (byPhone.has(phone)) c.skipped++; // the same number twice in the legacy table: the last row wins
    byPhone.set(phone, {
      phone,
      name: (str(r.name) ?? phone).slice(0, 200),
      email: str(r.email)?.toLowerCase() ?? null,
      company: str(r.company),
      notes: str(r.notes),
      createdBy: r.userId === undefined || r.userId === null ? null : (userIds.get(String(r.userId)) ?? null),
      tagId: r.tagId === undefined || r.tagId === null ? null : (tagIds.get(String(r.tagId)) ?? null),
    });
  }
  if (badPhones) notes.push(`${badPhones} legacy contact(s) without a valid phone number: skipped`);
  const list = [...byPhone.values()];
  let tagged = 0;
  const changed = new Set<string>(); // inserted, edited or newly tagged: announced as contact.updated

  for (let i = 0; i < list.length; i += 2000) {
    const batch = list.slice(i, i + 2000);
    const { rows: out } = await trx.raw(
      `INSERT INTO contacts AS c (org_id, phone_e164, name, email, company, notes, created_by)
       SELECT ?::uuid, * FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::uuid[])
       ON CONFLICT (org_id, phone_e164) WHERE deleted_at IS NULL DO UPDATE SET
         name = EXCLUDED.name, email = coalesce(EXCLUDED.email, c.email), company = coalesce(EXCLUDED.company, c.company),
         notes = coalesce(EXCLUDED.notes, c.notes), updated_at = now()
       WHERE (c.name, c.email, c.company, c.notes) IS DISTINCT FROM
             (EXCLUDED.name, coalesce(EXCLUDED.email, c.email), coalesce(EXCLUDED.company, c.company), coalesce(EXCLUDED.notes, c.notes))
       RETURNING c.id, (xmax = 0) AS inserted`,
      [
        orgId,
        batch.map((b) => b.phone),
        batch.map((b) => b.name),
        batch.map((b) => b.email),
        batch.map((b) => b.company),
        batch.map((b) => b.notes),
        batch.map((b) => b.createdBy),
      ] as never,
    );
    for (const x of out as { id: string }[]) changed.add(x.id);
    const ins = (out as { inserted: boolean }[]).filter((x) => x.inserted).length;
    c.inserted += ins;
    c.updated += out.length - ins;
    c.unchanged += batch.length - out.length;
    const withTag = batch.filter((b) => b.tagId);
    if (withTag.length) {
      const res = await trx.raw(
        `INSERT INTO contact_tags (contact_id, tag_id)
         SELECT c.id, x.tag_id FROM unnest(?::text[], ?::uuid[]) AS x(phone, tag_id)
           JOIN contacts c ON c.org_id = ? AND c.deleted_at IS NULL AND c.phone_e164 = x.phone
         ON CONFLICT DO NOTHING RETURNING contact_id`,
        [withTag.map((b) => b.phone), withTag.map((b) => b.tagId), orgId] as never,
      );
      tagged += res.rowCount ?? 0;
      for (const x of res.rows as { contact_id: string }[]) changed.add(x.contact_id);
    }
  }
  // Browsers and durable consumers read the log; this command's process has no listeners of its own.
  await contactsChanged(trx, orgId, changed);
  return tagged;
}

async function importWhatsapp(trx: Knex, orgId: string, deviceId: string | null, rows: LegacyRow[], region: Region, c: Count, notes: string[]) {
  c.read = rows.length;
  if (!deviceId) {
    c.skipped = rows.length;
    if (rows.length) notes.push(`${rows.length} WhatsApp contact(s) skipped: no --device-id to put them on`);
    return;
  }
  const byJid = new Map<string, { jid: string; push: string | null; full: string | null; business: string | null }>();
  for (const r of rows) {
    let jid = str(r.jid)?.replace(/@c\.us$/, '@s.whatsapp.net') ?? null;
    if (!jid || !jid.includes('@')) {
      const phone = normalizePhone(str(r.phone) ?? str(r.jid) ?? '', region);
      jid = phone ? `${phone.slice(1)}@s.whatsapp.net` : null;
    }
    if (!jid) {
      c.skipped++;
      continue;
    }
    if (byJid.has(jid)) c.skipped++;
    byJid.set(jid, { jid, push: str(r.pushName), full: str(r.fullName), business: str(r.businessName) });
  }
  const list = [...byJid.values()];
  for (let i = 0; i < list.length; i += 2000) {
    const batch = list.slice(i, i + 2000);
    const { rows: out } = await trx.raw(
      `INSERT INTO wa_contacts AS w (org_id, device_id, jid, push_name, full_name, business_name)
       SELECT ?::uuid, ?::uuid, * FROM unnest(?::text[], ?::text[], ?::text[], ?::text[])
       ON CONFLICT (device_id, jid) DO UPDATE SET
         push_name = coalesce(EXCLUDED.push_name, w.push_name), full_name = coalesce(EXCLUDED.full_name, w.full_name),
         business_name = coalesce(EXCLUDED.business_name, w.business_name), updated_at = now()
       WHERE (w.push_name, w.full_name, w.business_name) IS DISTINCT FROM
             (coalesce(EXCLUDED.push_name, w.push_name), coalesce(EXCLUDED.full_name, w.full_name), coalesce(EXCLUDED.business_name, w.business_name))
       RETURNING (xmax = 0) AS inserted`,
      [orgId, deviceId, batch.map((b) => b.jid), batch.map((b) => b.push), batch.map((b) => b.full), batch.map((b) => b.business)] as never,
    );
    const ins = (out as { inserted: boolean }[]).filter((x) => x.inserted).length;
    c.inserted += ins;
    c.updated += out.length - ins;
    c.unchanged += batch.length - out.length;
  }
  if (c.skipped) notes.push(`${c.skipped} WhatsApp contact(s) without a usable JID or number, or repeated: skipped`);
}
