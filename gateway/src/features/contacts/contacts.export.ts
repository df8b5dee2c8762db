import type { Response } from 'express';
import type { Knex } from 'knex';
import { stringify } from 'csv-stringify';
import { tagsOfContacts } from '../tags/tags.service.js';
import { filtered, type ContactRow, type ListFilter } from './contacts.repository.js';

export const EXPORT_COLUMNS = ['name', 'phone', 'email', 'company', 'notes', 'tags', 'created_at'];
const PAGE = 2000;

/** A cell a spreadsheet would run as a formula gets a leading quote (the import takes it off again). */
const guard = (v: string | null) => (v && /^[=+\-@\t\r]/.test(v) ? `'${v}` : (v ?? ''));

/**
 * Streams the organization's contacts (with the list's filters) as CSV in name order, reading the
 * database in keyset pages so memory stays flat whatever the size. The header row matches what the
 * import recognizes, so an export imports back unchanged.
 */
export async function exportContacts(db: Knex, orgId: string, f: ListFilter, res: Response) {
  res.status(200);
  res.setHeader('content-type', 'text/csv; charset=utf-8');
  res.setHeader('content-disposition', `attachment; filename="contacts-${new Date().toISOString().slice(0, 10)}.csv"`);
  const csv = stringify({ header: true, columns: EXPORT_COLUMNS });
  csv.pipe(res);
  let closed = false;
  res.on('close', () => (closed = true));
  const write = async (row: string[]) => {
    if (!csv.write(row)) await new Promise<void>((r) => csv.once('drain', r));
  };
  let after: [string, string] | undefined;
  try {
    while (!closed) {
      const q = filtered(db, orgId, f).select<(ContactRow & { name_key: string })[]>('contacts.*', db.raw('lower(contacts.name) AS name_key'));
      if (after) q.whereRaw('(lower(contacts.name), contacts.id) > (?, ?::uuid)', after);
      const rows = await q.orderByRaw('lower(contacts.name), contacts.id').limit(PAGE);
      if (!rows.length) break;
      const tags = await tagsOfContacts(db, rows.map((r) => r.id));
      for (const r of rows) {
        await write([
          guard(r.name),
          r.phone_e164,
          guard(r.email),
          guard(r.company),
          guard(r.notes),
          guard((tags.get(r.id) ?? []).map((t) => t.name).join(';')),
          r.created_at.toISOString(),
        ]);
      }
      const last = rows[rows.length - 1]!;
      after = [last.name_key, last.id];
      if (rows.length < PAGE) break;
    }
  } finally {
    csv.end();
  }
}
