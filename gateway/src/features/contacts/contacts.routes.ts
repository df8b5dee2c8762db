import type { Db } from '../../platform/db/knex.js';
import { AppError } from '../../platform/errors.js';
import { rolesWith } from '../access/access.policy.js';
import type { Api } from '../../platform/http/api.js';
import type { AuditService } from '../audit/audit.service.js';
import type { ContactsService } from './contacts.service.js';
import { exportContacts } from './contacts.export.js';
import { csvUpload, parseSize } from './contacts.upload.js';
import * as s from './contacts.schemas.js';

const tags = ['contacts'];
/** Everyone in the organization reads CRM contacts; editors and admins change them. */
export const WRITERS = rolesWith('contact.edit');

export interface ContactsRouteDeps {
  db: Db;
  audit: AuditService;
  importMaxRows: number;
  importMaxBytes: string;
}

export function contactsRoutes(api: Api, contacts: ContactsService, deps: ContactsRouteDeps): void {
  const maxBytes = parseSize(deps.importMaxBytes);

  // Fixed paths before /api/contacts/:id.
  api.route(
    {
      method: 'get',
      path: '/api/contacts/matches',
      summary: 'CRM contacts merged with the WhatsApp contacts of devices you may see, by E.164 number (LIDs through the LID map): matched, WhatsApp-only or CRM-only, with counts',
      tags,
      auth: 'user',
      query: s.matchesQuery,
      response: s.matchesResponse,
    },
    ({ query, actor }) => contacts.matches(actor, query),
  );
  api.route(
    {
      method: 'post',
      path: '/api/contacts/import',
      summary:
        'Import contacts from a CSV (body text/csv, or multipart/form-data with a file): upsert by number, header mapping with map[field]=Header, per-row errors with line numbers; mode skip-invalid or all-or-nothing; dryRun=true previews without writing',
      tags,
      auth: WRITERS,
      query: s.importQuery,
      response: s.importResult,
      responses: { 413: 'Too many rows or bytes', 415: 'Not CSV', 422: 'all-or-nothing and some rows invalid: nothing imported' },
    },
    async ({ req, actor }) => {
      const upload = await csvUpload(req, maxBytes);
      // Form fields (sent before the file) fill in what the query string does not say.
      const merged = s.importQuery.safeParse({ ...upload.fields, ...(req.query as Record<string, unknown>) });
      if (!merged.success) {
        throw new AppError('validation_failed', 400, 'Invalid body: import options', merged.error.issues.map((i) => ({ in: 'body', field: i.path.join('.'), message: i.message })));
      }
      const o = merged.data;
      const mapping = Object.fromEntries(s.IMPORT_FIELDS.filter((f) => o[`map[${f}]`]).map((f) => [f, o[`map[${f}]`]!]));
      return contacts.importCsv(actor, upload.file, {
        mode: o.mode,
        dryRun: o.dryRun,
        mapping,
        delimiter: o.delimiter,
        maxRows: deps.importMaxRows,
        maxBytes,
      });
    },
  );
  api.route(
    { method: 'get', path: '/api/contacts/export', summary: 'All contacts matching the filters as CSV (streamed; columns name, phone, email, company, notes, tags, created_at)', tags, auth: 'user', query: s.exportQuery },
    async ({ query, actor, res }) => {
      await exportContacts(deps.db, actor.user.orgId, query, res);
    },
  );

  api.route(
    {
      method: 'post',
      path: '/api/contacts',
      summary: 'Create a contact; with fromChatId or waContactId the name and number come from that WhatsApp chat or contact',
      tags,
      auth: WRITERS,
      body: s.createContactBody,
      status: 201,
      response: s.contactSchema,
      responses: { 404: 'No such chat or WhatsApp contact that you may see', 409: 'A contact with this number exists (details.contactId)' },
    },
    ({ body, actor }) => contacts.create(actor, body),
  );
  api.route(
    { method: 'get', path: '/api/contacts', summary: 'List contacts by name (filters q over name, number, email, company; tag; favorite = only your pinned ones), each with favorite', tags, auth: 'user', query: s.listContactsQuery, response: s.contactPage },
    ({ query, actor }) => contacts.list(actor, query),
  );
  api.route(
    { method: 'get', path: '/api/contacts/:id', summary: 'Get a contact', tags, auth: 'user', params: s.contactIdParams, response: s.contactSchema, responses: { 404: 'No such contact here' } },
    ({ params, actor }) => contacts.get(actor, params.id),
  );
  api.route(
    {
      method: 'put',
      path: '/api/contacts/:id',
      summary: 'Change a contact (null or "" clears email, company, notes)',
      tags,
      auth: WRITERS,
      params: s.contactIdParams,
      body: s.updateContactBody,
      response: s.contactSchema,
      responses: { 404: 'No such contact here', 409: 'Another contact has this number' },
    },
    ({ params, body, actor }) => contacts.update(actor, params.id, body),
  );
  api.route(
    { method: 'delete', path: '/api/contacts/:id', summary: 'Delete a contact (soft delete; its number is free again)', tags, auth: WRITERS, params: s.contactIdParams, status: 204, responses: { 404: 'No such contact here' } },
    ({ params, actor }) => contacts.remove(actor, params.id),
  );
  api.route(
    { method: 'put', path: '/api/contacts/:id/tags', summary: 'Set a contact’s tags (replaces them)', tags, auth: WRITERS, params: s.contactIdParams, body: s.setTagsBody, response: s.contactSchema, responses: { 404: 'No such contact here' } },
    ({ params, body, actor }) => contacts.setTags(actor, params.id, body.tagIds),
  );
  api.route(
    {
      method: 'get',
      path: '/api/contacts/:id/card',
      summary: 'The contact card: CRM fields and tags, WhatsApp names per device, and the chats with this person you may see, each with its last message',
      tags,
      auth: 'user',
      params: s.contactIdParams,
      response: s.cardSchema,
      responses: { 404: 'No such contact here' },
    },
    ({ params, actor }) => contacts.card(actor, params.id),
  );
  api.route(
    {
      method: 'get',
      path: '/api/contacts/:id/stats',
      summary: 'Messages in and out, first and last contact and median reply time, over the chats with this person you may see',
      tags,
      auth: 'user',
      params: s.contactIdParams,
      response: s.statsSchema,
      responses: { 404: 'No such contact here' },
    },
    ({ params, actor }) => contacts.stats(actor, params.id),
  );
}
