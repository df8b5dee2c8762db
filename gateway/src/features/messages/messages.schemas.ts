import { z } from 'zod';
import { pageQuery } from '../../platform/http/pagination.js';

export const messageIdParams = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

/** A phone number in any common format, or a JID; compared as the canonical JID. */
const party = z
  .string()
  .trim()
  .min(1)
  .max(120)
  .transform((v, ctx) => {
    if (v.includes('@')) return v.toLowerCase();
    const digits = v.replace(/\D/g, '');
    if (digits.length < 5) {
      ctx.addIssue({ code: 'custom', message: 'a phone number or a JID' });
      return z.NEVER;
    }
    return `${digits.replace(/^00/, '')}@s.whatsapp.net`;
  });

const time = z.iso.datetime({ offset: true });

export const STATUSES = ['received', 'failed', 'pending', 'retrying', 'sent', 'delivered', 'read', 'played'] as const;

export const listMessagesQuery = z
  .object({
    ...pageQuery,
    deviceId: z.string().uuid().optional(),
    chatId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
    direction: z.enum(['in', 'out']).optional(),
    status: z.enum(STATUSES).optional(),
    from: party.optional().describe('sender: phone number or JID'),
    to: party.optional().describe('recipient: the chat of an outgoing message, or the device of an incoming one'),
    since: time.optional().describe('sent at or after (ISO 8601)'),
    until: time.optional().describe('sent before (ISO 8601)'),
  })
  .refine((q) => !q.since || !q.until || new Date(q.since) < new Date(q.until), { message: 'since must be before until', path: ['since'] });

export const statsQuery = z
  .object({ since: time.optional().describe('default: 30 days before until'), until: time.optional().describe('default: now') })
  .refine((q) => !q.since || !q.until || new Date(q.since) < new Date(q.until), { message: 'since must be before until', path: ['since'] });

export const messageSchema = z.object({
  id: z.number(),
  chatId: z.number(),
  deviceId: z.string(),
  engineMessageId: z.string().nullable(),
  clientId: z.string().nullable(),
  direction: z.enum(['in', 'out']),
  from: z.string().nullable(),
  senderName: z.string().nullable(),
  type: z.string(),
  body: z.string().nullable(),
  media: z
    .object({ mimetype: z.string().nullable(), filename: z.string().nullable(), size: z.number().nullable(), mediaId: z.string().nullable() })
    .nullable(),
  replyTo: z.string().nullable(),
  status: z.string().describe('received; or for our own sends: pending → retrying (an attempt failed, another follows) → sent → delivered → read → played, or failed'),
  error: z.string().nullable(),
  lastError: z.string().nullable().describe('why the last send attempt failed (the engine’s reason), while retrying or failed'),
  nextAttemptAt: z.string().nullable().describe('when a pending or retrying send is tried next'),
  sentAt: z.string().nullable(),
  editedAt: z.string().nullable(),
  revoked: z.boolean(),
  reactions: z.array(z.object({ emoji: z.string(), from: z.string(), at: z.string() })),
});

export const chatRef = z.object({ id: z.number(), name: z.string().nullable(), jid: z.string() });
export const messagePage = z.object({
  items: z.array(messageSchema).describe('newest first'),
  nextCursor: z.string().nullable().describe('same as before (kept for older clients)'),
  before: z.string().nullable().describe('pass as `before` for the page older than these items; null when there is none'),
  after: z.string().nullable().describe('pass as `after` for the page newer than these items; null when these reach the newest message'),
});
export const logPage = z.object({ items: z.array(messageSchema.extend({ chat: chatRef })), nextCursor: z.string().nullable() });

const count = z.object({ count: z.number() });
export const statsSchema = z.object({
  since: z.string(),
  until: z.string(),
  total: z.number(),
  perDay: z.array(count.extend({ day: z.string() })),
  perDirection: z.array(count.extend({ direction: z.string() })),
  perStatus: z.array(count.extend({ status: z.string() })),
  perDevice: z.array(count.extend({ deviceId: z.string(), name: z.string().nullable() })),
  topContacts: z.array(count.extend({ chatId: z.number(), jid: z.string(), name: z.string().nullable(), crmName: z.string().nullable() })),
});
