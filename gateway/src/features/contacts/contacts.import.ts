import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { Knex } from 'knex';
import { z } from 'zod';
import { AppError } from '../../platform/errors.js';
import { normalizePhone, type Region } from '../../platform/phone.js';
import type { AuditService } from '../audit/audit.service.js';
import { ensureTagsByName } from '../tags/tags.service.js';
import { IMPORT_FIELDS, type ImportField } from './contacts.schemas.js';
import type { Actor } from '../../platform/http/auth-context.js';
import { textProblem } from '../../platform/http/input-guard.js';
import type { EventBus } from '../../platform/events/event-bus.js';
import { contactsChanged } from './contacts.events.js';

export type ImportMode = 'skip-invalid' | 'all-or-nothing';

export interface ImportOptions {
  mode: ImportMode;
  /** Do everything a real import does inside its transaction, then roll it back: exact counts, nothing written. */
  dryRun?: boolean;
  /** Field → the CSV header that holds it; fields not given are found by their usual header names. */
  mapping: Partial<Record<ImportField, string>>;
  delimiter?: string;
  maxRows: number;
  maxBytes: number;
}

export interface RowError {
  line: number;
  field: string | null;
  message: string;
}

/** Headers recognized without a mapping (compared lower-cased, without spaces, dashes and underscores). */
const ALIASES: Record<ImportField, string[]> = {
  name: ['name', 'fullname', 'contactname', 'contact', 'displayname'],
  phone: ['phone', 'phonenumber', 'number', 'mobile', 'mobilephone', 'cell', 'whatsapp', 'tel', 'telephone', 'msisdn'],
  email: ['email', 'emailaddress', 'mail'],
  company: ['company', 'organization', 'organisation', 'business'],
  notes: ['notes', 'note', 'comment', 'comments', 'remarks'],
  tags: ['tags', 'tag', 'labels', 'label'],
};
const squash = (h: string) => h.toLowerCase().replace(/[\s_\-.]/g, '');

const BATCH = 2000;
const MAX_ERRORS = 1000;
const PREVIEW_ROWS = 20;

interface PreviewRow {
  line: number;
  action: 'insert' | 'update' | 'unchanged';
  name: string | null;
  phone: string;
  email: string | null;
  company: string | null;
  tags: string[];
}

/** Ends a dry run's transaction (rolled back) carrying what it would have done. */
class DryRunDone {
  constructor(readonly result: unknown) {}
}
const LIMITS: Record<'name' | 'company' | 'notes', number> = { name: 200, company: 200, notes: 5000 };
const emailCheck = z.string().email().max(254);

interface Row {
  line: number;
  phone: string;
  name: string | null;
  email: string | null;
  company: string | null;
  notes: string | null;
  tags: string[];
}

/** Undo the export's guard against spreadsheet formulas ('=…). */
const unguard = (v: string) => (/^'[=+\-@\t\r]/.test(v) ? v.slice(1) : v);

/**
 * Streams a CSV into the organization's contacts: rows are validated one by one (errors carry their
 * line number), valid rows are upserted by number in batches (INSERT … ON CONFLICT), and the whole
 * import is one transaction — committed with the valid rows in `skip-invalid` mode, rolled back when
 * any row is invalid in `all-or-nothing` mode (422 listing the errors). Importing the same file twice
 * changes nothing the second time. Empty cells never erase what a contact already has; tags are added.
 */
export async function importContacts(db: Knex, audit: AuditService, actor: Actor, region: Region, source: Readable, opts: ImportOptions, events?: EventBus) {
  const input = await withDelimiter(source, opts);
  const parser = input.stream.pipe(
    parse({ bom: true, delimiter: input.delimiter, info: true, relax_column_count: true, skip_empty_lines: true, trim: true, max_record_size: 64 * 1024 }),
  );
  input.stream.on('error', (e) => parser.destroy(e));
  parser.on('error', () => {}); // the loop below receives it; this keeps it from also surfacing as unhandled

  const counts = { rows: 0, inserted: 0, updated: 0, unchanged: 0, invalid: 0 };
  const errors: RowError[] = [];
  const fail = (e: RowError) => {
    counts.invalid++;
    if (errors.length < MAX_ERRORS) errors.push(e);
  };
  let columns: Partial<Record<ImportField, number>> | undefined;
  let mapping: Record<string, string> = {};
  const tagIds = new Map<string, string>();
  const preview: PreviewRow[] = [];
  /** Contacts the import inserted, changed or tagged: announced (contact.updated) when it commits. */
  const changed = new Set<string>();

  const run = db.transaction(async (trx) => {
      let batch = new Map<string, Row>();
      // One batch is written while the next is parsed; at most two are in memory.
      let inflight: Promise<void> = Promise.resolve();
      const flush = () => {
        if (!batch.size) return;
        const rows = [...batch.values()];
        batch = new Map();
        inflight = inflight.then(async () => {
          const r = await upsert(trx, actor, rows);
          for (const p of preview) if (p.action === 'unchanged' && r.ids.has(p.phone)) p.action = r.insertedPhones.has(p.phone) ? 'insert' : 'update';
          counts.inserted += r.inserted;
          counts.updated += r.updated;
          counts.unchanged += rows.length - r.inserted - r.updated;
          for (const id of r.ids.values()) changed.add(id);
          for (const id of await attachTags(trx, actor.user.orgId, rows, r.ids, tagIds)) changed.add(id);
        });
        inflight.catch(() => {}); // awaited below; this only keeps it from counting as unhandled meanwhile
      };

      try {
        for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
          if (!columns) {
            const bad = record.find((h) => textProblem(h));
            if (bad !== undefined) throw new AppError('invalid_csv', 400, `The CSV header "${bad.replace(/\u0000/g, '\\0').slice(0, 60)}" ${textProblem(bad)}`, { line: info.lines });
            ({ columns, mapping } = resolveColumns(record, opts.mapping));
            continue;
          }
          if (++counts.rows > opts.maxRows) {
            throw new AppError('import_too_large', 413, `An import holds at most ${opts.maxRows} rows`, { maxRows: opts.maxRows });
          }
          const row = readRow(record, columns, info.lines, region, fail);
          if (!row) continue;
          if (opts.dryRun && preview.length < PREVIEW_ROWS) {
            // 'unchanged' until its batch is written and says otherwise; a later row of the same number wins.
            const i = preview.findIndex((p) => p.phone === row.phone);
            if (i >= 0) preview.splice(i, 1);
            preview.push({ line: row.line, action: 'unchanged', name: row.name, phone: row.phone, email: row.email, company: row.company, tags: row.tags });
          }
          // A number twice in one batch: the later row wins (as it would across batches).
          batch.delete(row.phone);
          batch.set(row.phone, row);
          if (batch.size >= BATCH) {
            await inflight;
            flush();
          }
        }
      } catch (e) {
        await inflight.catch(() => {}); // never leave a write running on the transaction being rolled back
        if (e instanceof AppError) throw e;
        const err = e as { code?: string; message?: string; lines?: number };
        if (typeof err.code === 'string' && err.code.startsWith('CSV_')) {
          throw new AppError('invalid_csv', 400, `The CSV cannot be read${err.lines ? ` at line ${err.lines}` : ''}: ${err.message}`, { line: err.lines ?? null });
        }
        throw e;
      }
      if (!columns) throw new AppError('invalid_csv', 400, 'The CSV is empty: a header line is needed');
      flush();
      await inflight;

      const outcome = { mode: opts.mode, ...counts, errors, errorsTruncated: counts.invalid > errors.length, mapping };
      if (opts.dryRun) throw new DryRunDone({ ...outcome, dryRun: true, preview });
      if (opts.mode === 'all-or-nothing' && counts.invalid) {
        throw new AppError('import_invalid', 422, `${counts.invalid} row(s) are invalid; nothing was imported`, {
          mode: opts.mode,
          rows: counts.rows,
          invalid: counts.invalid,
          errors,
          errorsTruncated: counts.invalid > errors.length,
        });
      }
      await contactsChanged(trx, actor.user.orgId, changed, events);
      await audit.record(
        {
          orgId: actor.user.orgId,
          actorId: actor.user.id,
          action: 'contact.import',
          targetType: 'contact',
          targetId: null,
          details: { mode: opts.mode, ...counts, mapping },
          requestId: actor.requestId,
        },
        trx,
      );
      return { ...outcome, dryRun: false, preview: [] };
    });
  try {
    return await run;
  } catch (e) {
    if (e instanceof DryRunDone) return e.result as Awaited<typeof run>;
    throw e;
  }
}

function resolveColumns(header: string[], wanted: Partial<Record<ImportField, string>>) {
  const columns: Partial<Record<ImportField, number>> = {};
  const mapping: Record<string, string> = {};
  const bad: { in: string; field: string; message: string }[] = [];
  for (const field of IMPORT_FIELDS) {
    const given = wanted[field];
    let idx: number;
    if (given !== undefined) {
      idx = header.findIndex((h) => h === given);
      if (idx < 0) idx = header.findIndex((h) => h.toLowerCase() === given.toLowerCase());
      if (idx < 0) bad.push({ in: 'query', field: `map[${field}]`, message: `no column "${given}" in the header (${header.join(', ')})` });
    } else {
      idx = header.findIndex((h) => ALIASES[field].includes(squash(h)));
    }
    if (idx >= 0) {
      columns[field] = idx;
      mapping[field] = header[idx]!;
    }
  }
  if (!bad.length && columns.phone === undefined)
    bad.push({ in: 'query', field: 'map[phone]', message: `no phone column found in the header (${header.join(', ')}); name it with map[phone]` });
  if (bad.length) throw new AppError('validation_failed', 400, `Invalid query: ${bad.map((b) => b.field).join(', ')}`, bad);
  return { columns, mapping };
}

function readRow(record: string[], columns: Partial<Record<ImportField, number>>, line: number, region: Region, fail: (e: RowError) => void): Row | null {
  const cell = (f: ImportField) => {
    const i = columns[f];
    const v = i === undefined ? '' : unguard(record[i] ?? '').trim();
    return v === '' ? null : v;
  };
  for (const [f, i] of Object.entries(columns) as [ImportField, number][]) {
    const problem = textProblem(record[i] ?? '');
    if (problem) return fail({ line, field: f, message: problem }), null;
  }
  const raw = cell('phone');
  if (!raw) return fail({ line, field: 'phone', message: 'a phone number is required' }), null;
  const phone = normalizePhone(raw, region);
  if (!phone) return fail({ line, field: 'phone', message: `"${raw.slice(0, 60)}" is not a valid phone number` }), null;
  const email = cell('email')?.toLowerCase() ?? null;
  if (email && !emailCheck.safeParse(email).success) return fail({ line, field: 'email', message: `"${email.slice(0, 60)}" is not an email address` }), null;
  const row: Row = { line, phone, name: cell('name'), email, company: cell('company'), notes: cell('notes'), tags: [] };
  for (const f of ['name', 'company', 'notes'] as const) {
    if ((row[f]?.length ?? 0) > LIMITS[f]) return fail({ line, field: f, message: `longer than ${LIMITS[f]} characters` }), null;
  }
  const tags = cell('tags');
  if (tags) {
    row.tags = [...new Set(tags.split(/[;,|]/).map((t) => t.trim()).filter(Boolean))];
    if (row.tags.some((t) => t.length > 60)) return fail({ line, field: 'tags', message: 'a tag is longer than 60 characters' }), null;
  }
  return row;
}

async function upsert(trx: Knex, actor: Actor, rows: Row[]) {
  const { rows: out } = await trx.raw(
    `INSERT INTO contacts AS c (org_id, created_by, phone_e164, name, email, company, notes)
     SELECT ?::uuid, ?::uuid, i.phone, coalesce(i.name, i.phone), i.email, i.company, i.notes
       FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[]) AS i(phone, name, email, company, notes)
     ON CONFLICT (org_id, phone_e164) WHERE deleted_at IS NULL DO UPDATE SET
       name = CASE WHEN EXCLUDED.name = EXCLUDED.phone_e164 THEN c.name ELSE EXCLUDED.name END,
       email = coalesce(EXCLUDED.email, c.email),
       company = coalesce(EXCLUDED.company, c.company),
       notes = coalesce(EXCLUDED.notes, c.notes),
       updated_at = now()
     WHERE (c.name, c.email, c.company, c.notes) IS DISTINCT FROM
           (CASE WHEN EXCLUDED.name = EXCLUDED.phone_e164 THEN c.name ELSE EXCLUDED.name END,
            coalesce(EXCLUDED.email, c.email), coalesce(EXCLUDED.company, c.company), coalesce(EXCLUDED.notes, c.notes))
     RETURNING c.id, c.phone_e164, (xmax = 0) AS inserted`,
    [
      actor.user.orgId,
      actor.user.id,
      rows.map((r) => r.phone),
      rows.map((r) => r.name),
      rows.map((r) => r.email),
      rows.map((r) => r.company),
      rows.map((r) => r.notes),
    ] as never,
  );
  const ids = new Map<string, string>();
  const insertedPhones = new Set<string>();
  for (const r of out as { id: string; phone_e164: string; inserted: boolean }[]) {
    ids.set(r.phone_e164, r.id);
    if (r.inserted) insertedPhones.add(r.phone_e164);
  }
  return { inserted: insertedPhones.size, updated: out.length - insertedPhones.size, ids, insertedPhones };
}

/** Adds the rows' tags; returns the contacts that gained one. */
async function attachTags(trx: Knex, orgId: string, rows: Row[], ids: Map<string, string>, cache: Map<string, string>): Promise<string[]> {
  const tagged = rows.filter((r) => r.tags.length);
  if (!tagged.length) return [];
  const missing = [...new Set(tagged.flatMap((r) => r.tags))].filter((t) => !cache.has(t.toLowerCase()));
  if (missing.length) for (const [k, v] of await ensureTagsByName(trx, orgId, missing)) cache.set(k, v);
  // Unchanged rows were not returned by the upsert; look their ids up.
  const unknown = tagged.filter((r) => !ids.has(r.phone)).map((r) => r.phone);
  if (unknown.length) {
    const found = await trx('contacts').where({ org_id: orgId }).whereNull('deleted_at').whereIn('phone_e164', unknown).select<{ id: string; phone_e164: string }[]>('id', 'phone_e164');
    for (const f of found) ids.set(f.phone_e164, f.id);
  }
  const pairs = tagged.flatMap((r) => r.tags.map((t) => [ids.get(r.phone), cache.get(t.toLowerCase())] as const)).filter(([c, t]) => c && t);
  if (!pairs.length) return [];
  const { rows: added } = await trx.raw(`INSERT INTO contact_tags (contact_id, tag_id) SELECT * FROM unnest(?::uuid[], ?::uuid[]) ON CONFLICT DO NOTHING RETURNING contact_id`, [
    pairs.map(([c]) => c),
    pairs.map(([, t]) => t),
  ] as never);
  return (added as { contact_id: string }[]).map((r) => r.contact_id);
}

/** Counts bytes (413 over the limit) and, without an explicit delimiter, picks the one the header line uses most. */
async function withDelimiter(source: Readable, opts: ImportOptions): Promise<{ stream: Readable; delimiter: string }> {
  const it = source[Symbol.asyncIterator]();
  let bytes = 0;
  const count = (chunk: Buffer | string) => {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (bytes > opts.maxBytes) throw new AppError('payload_too_large', 413, `The CSV exceeds the limit of ${opts.maxBytes} bytes`);
    return chunk;
  };
  const first = await it.next();
  const head = first.done ? '' : String(count(first.value)).split(/\r?\n/, 1)[0]!;
  let delimiter = opts.delimiter;
  if (!delimiter) {
    const scores = [',', ';', '\t', '|'].map((d) => [d, head.split(d).length] as const).sort((a, b) => b[1] - a[1]);
    delimiter = scores[0]![1] > 1 ? scores[0]![0] : ',';
  }
  async function* all() {
    if (first.done) return;
    yield first.value;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield count(n.value);
    }
  }
  return { stream: Readable.from(all(), { objectMode: false }), delimiter };
}
