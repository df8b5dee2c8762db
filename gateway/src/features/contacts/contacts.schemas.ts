import { z } from 'zod';
import { pageQuery } from '../../platform/http/pagination.js';
import { tagSchema } from '../tags/tags.schemas.js';

const text = (max: number) => z.string().trim().max(max);
/** Optional text that may be cleared with null or ''. */
const clearable = (max: number) =>
  text(max)
    .nullable()
    .optional()
    .transform((v) => (v === '' ? null : v));

export const contactSchema = z.object({
  id: z.string().uuid(),
  name: z.string(),
  phone: z.string().describe('E.164'),
  email: z.string().nullable(),
  company: z.string().nullable(),
  notes: z.string().nullable(),
  tags: z.array(tagSchema),
  createdBy: z.string().uuid().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
}).meta({ id: 'Contact' });
export const contactPage = z.object({
  items: z.array(contactSchema.extend({ favorite: z.boolean().describe('you pinned this contact') })),
  nextCursor: z.string().nullable(),
}).meta({ id: 'ContactPage' });

export const contactIdParams = z.object({ id: z.string().uuid() });

/** Phone is validated and normalized by the service (400 naming `phone`), so it is plain text here. */
export const createContactBody = z
  .object({
    name: text(200).min(1).optional(),
    phone: text(40).min(1).optional(),
    email: z.string().trim().toLowerCase().email().max(254).nullable().optional().or(z.literal('').transform(() => null)),
    company: clearable(200),
    notes: clearable(5000),
    tagIds: z.array(z.string().uuid()).max(100).optional(),
    fromChatId: z.coerce.number().int().positive().optional().describe('prefill name and number from this WhatsApp chat (the "+" button)'),
    waContactId: z.coerce.number().int().positive().optional().describe('prefill name and number from this WhatsApp contact'),
  })
  .strict()
  .refine((b) => [b.fromChatId, b.waContactId].filter((v) => v !== undefined).length <= 1, { message: 'give fromChatId or waContactId, not both', path: ['fromChatId'] })
  .refine((b) => b.fromChatId !== undefined || b.waContactId !== undefined || b.phone !== undefined, { message: 'required', path: ['phone'] })
  .refine((b) => b.fromChatId !== undefined || b.waContactId !== undefined || b.name !== undefined, { message: 'required', path: ['name'] });

export const updateContactBody = z
  .object({
    name: text(200).min(1).optional(),
    phone: text(40).min(1).optional(),
    email: z.string().trim().toLowerCase().email().max(254).nullable().optional().or(z.literal('').transform(() => null)),
    company: clearable(200),
    notes: clearable(5000),
  })
  .strict()
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'give at least one field' });

export const setTagsBody = z.object({ tagIds: z.array(z.string().uuid()).max(100) }).strict();

export const listContactsQuery = z.object({
  ...pageQuery,
  q: z.string().trim().max(100).optional().describe('matches name, number, email or company'),
  tag: z.string().uuid().optional().describe('only contacts carrying this tag'),
  favorite: z
    .enum(['true', 'false', '1', '0'])
    .transform((v) => v === 'true' || v === '1')
    .optional()
    .describe('only contacts you pinned'),
});

export const MATCH_KINDS = ['matched', 'whatsapp-only', 'crm-only'] as const;
export const matchesQuery = z.object({ ...pageQuery, kind: z.enum(MATCH_KINDS).default('matched') });

const waContactSchema = z.object({
  id: z.number().int(),
  deviceId: z.string().uuid(),
  jid: z.string(),
  phone: z.string().nullable(),
  pushName: z.string().nullable(),
  fullName: z.string().nullable(),
  businessName: z.string().nullable(),
}).meta({ id: 'WhatsAppContact' });
export const matchesResponse = z.object({
  kind: z.enum(MATCH_KINDS),
  counts: z.object({ matched: z.number().int(), whatsappOnly: z.number().int(), crmOnly: z.number().int() }),
  items: z.array(
    z.object({
      phone: z.string().nullable(),
      contact: z.object({ id: z.string().uuid(), name: z.string(), phone: z.string(), email: z.string().nullable(), company: z.string().nullable() }).nullable(),
      whatsapp: z.array(waContactSchema),
    }),
  ),
  nextCursor: z.string().nullable(),
}).meta({ id: 'ContactMatches' });

const lastMessageSchema = z
  .object({ id: z.number().int(), direction: z.enum(['in', 'out']), type: z.string(), body: z.string().nullable(), sentAt: z.string(), status: z.string().nullable() })
  .nullable();
export const cardSchema = z.object({
  contact: contactSchema,
  whatsapp: z.array(waContactSchema.extend({ deviceName: z.string() })),
  chats: z.array(
    z.object({
      id: z.number().int(),
      deviceId: z.string().uuid(),
      deviceName: z.string(),
      jid: z.string(),
      name: z.string().nullable(),
      unreadCount: z.number().int(),
      lastMessageAt: z.string().nullable(),
      lastMessage: lastMessageSchema,
    }),
  ),
}).meta({ id: 'ContactCard' });

export const statsSchema = z.object({
  chats: z.number().int(),
  messagesIn: z.number().int(),
  messagesOut: z.number().int(),
  firstContactAt: z.string().nullable(),
  lastContactAt: z.string().nullable(),
  medianReplySeconds: z.number().nullable().describe('median time from a message of theirs to our next answer'),
  replies: z.number().int(),
}).meta({ id: 'ContactStats' });

export const IMPORT_FIELDS = ['name', 'phone', 'email', 'company', 'notes', 'tags'] as const;
export type ImportField = (typeof IMPORT_FIELDS)[number];
export const IMPORT_MODES = ['skip-invalid', 'all-or-nothing'] as const;
export const importQuery = z.object({
  mode: z.enum(IMPORT_MODES).default('skip-invalid'),
  dryRun: z
    .enum(['true', 'false', '1', '0'])
    .transform((v) => v === 'true' || v === '1')
    .default(false)
    .describe('preview: validate and count as a real import would, show the first rows, write nothing'),
  delimiter: z.enum([',', ';', '\t', '|']).optional().describe('detected from the header line when absent'),
  ...Object.fromEntries(IMPORT_FIELDS.map((f) => [`map[${f}]`, z.string().trim().min(1).max(200).optional().describe(`the CSV header holding ${f}`)])),
}) as unknown as z.ZodType<{ mode: (typeof IMPORT_MODES)[number]; dryRun: boolean; delimiter?: string } & Partial<Record<`map[${ImportField}]`, string>>>;

export const importResult = z.object({
  mode: z.enum(IMPORT_MODES),
  rows: z.number().int(),
  inserted: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  invalid: z.number().int(),
  errors: z.array(z.object({ line: z.number().int(), field: z.string().nullable(), message: z.string() })),
  errorsTruncated: z.boolean(),
  mapping: z.record(z.string(), z.string()),
  dryRun: z.boolean().describe('true: nothing was written'),
  preview: z
    .array(
      z.object({
        line: z.number().int(),
        action: z.enum(['insert', 'update', 'unchanged']),
        name: z.string().nullable(),
        phone: z.string().describe('E.164'),
        email: z.string().nullable(),
        company: z.string().nullable(),
        tags: z.array(z.string()),
      }),
    )
    .describe('dry run only: the first valid rows as they would be stored'),
}).meta({ id: 'ContactImportResult' });

export const exportQuery = z.object({
  q: z.string().trim().max(100).optional(),
  tag: z.string().uuid().optional(),
});
