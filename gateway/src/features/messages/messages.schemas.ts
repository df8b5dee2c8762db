import { z } from 'zod';
import { pageQuery } from '../../platform/http/pagination.js';
import { MESSAGE_TYPES, SYSTEM_TYPES } from '../engines/engine.types.js';

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

export const MESSAGE_STATUSES = ['received', 'pending', 'retrying', 'sent', 'delivered', 'read', 'played', 'failed'] as const;


export const listMessagesQuery = z
  .object({
    ...pageQuery,
    deviceId: z.string().uuid().optional(),
    chatId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
    direction: z.enum(['in', 'out']).optional(),
    status: z.enum(MESSAGE_STATUSES).optional(),
    from: party.optional().describe('sender: phone number or JID'),
    to: party.optional().describe('recipient: the chat of an outgoing message, or the device of an incoming one'),
    since: time.optional().describe('sent at or after (ISO 8601)'),
    until: time.optional().describe('sent before (ISO 8601)'),
  })
  .refine((q) => !q.since || !q.until || new Date(q.since) < new Date(q.until), { message: 'since must be before until', path: ['since'] });

export const statsQuery = z
  .object({ since: time.optional().describe('default: 30 days before until'), until: time.optional().describe('default: now') })
  .refine((q) => !q.since || !q.until || new Date(q.since) < new Date(q.until), { message: 'since must be before until', path: ['since'] });

// The structured part of each kind, as `content` shows it (null for plain text and media).
const linkContent = z.object({ type: z.literal('link'), url: z.string(), title: z.string().nullable(), description: z.string().nullable() }).describe('text with a link preview');
const locationContent = z
  .object({
    type: z.literal('location'),
    latitude: z.number().nullable(),
    longitude: z.number().nullable(),
    name: z.string().nullable(),
    address: z.string().nullable(),
    url: z.string().nullable(),
    live: z.boolean(),
  })
  .describe('a shared location (type location)');
const contactContent = z
  .object({ type: z.literal('contact'), contacts: z.array(z.object({ name: z.string().nullable(), numbers: z.array(z.string()), vcard: z.string().nullable() })) })
  .describe('one or more contact cards (type contact), each with its raw vCard');
const pollContent = z
  .object({
    type: z.literal('poll'),
    question: z.string(),
    options: z.array(z.string()),
    multiple: z.boolean(),
    votesUnavailable: z.boolean().optional().describe('the poll came without the secret its votes are sealed with (WuzAPI): no counts'),
  })
  .describe('a poll (type poll); counts are in pollVotes');
const templateContent = z
  .object({
    type: z.literal('template'),
    header: z.object({ text: z.string().nullable(), media: z.string().nullable().describe('image | video | document, when the header is media') }),
    body: z.string().nullable(),
    footer: z.string().nullable(),
    buttons: z.array(z.string()).describe('button texts, as text'),
  })
  .describe('a business template (type template)');
const callContent = z.object({ type: z.literal('call'), video: z.boolean(), group: z.boolean() }).describe('a call (system lines call_missed, call_answered, call_declined: one line per call, at its last state)');
const groupContent = z
  .object({
    type: z.literal('group'),
    actor: z.string().nullable(),
    participants: z.array(z.string()),
    subject: z.string().nullable().optional(),
    description: z.string().nullable().optional(),
  })
  .describe('a group event (system lines group_*)');
// Not named components: zod-to-openapi makes a named schema first met as `.nullable()` a nullable component.
export const messageContent = z.discriminatedUnion('type', [linkContent, locationContent, contactContent, pollContent, templateContent, callContent, groupContent]);

/**
 * A message as `presentMessage` (JS) and `presentMessageSql` (SQL, for events a statement writes)
 * show it: the one definition of its keys and types. messages.presenter.ts takes its key list and
 * types from here; gateway/test/presenters-sql.test.ts parses both presenters' output with it.
 */
export const messageBaseSchema = z
  .object({
    id: z.number(),
    chatId: z.number(),
    deviceId: z.string(),
    engineMessageId: z.string().nullable(),
    clientId: z.string().nullable(),
    direction: z.enum(['in', 'out']),
    from: z.string().nullable(),
    senderName: z.string().nullable(),
    kind: z.enum(['message', 'system', 'note']).describe('message: someone wrote it; system: a call or group event (a centred line); note: the team’s own'),
    type: z
      .enum([...MESSAGE_TYPES, ...SYSTEM_TYPES])
      .describe('messages: text, image, video, audio, voice, document, sticker, location, contact, poll, template, pending_decryption ("waiting for this message"), other; system lines: call_missed (never answered), call_answered ("Voice call" / "Video call"), call_declined, group_*'),
    body: z.string().nullable(),
    content: messageContent.nullable(),
    media: z
      .object({ mimetype: z.string().nullable(), filename: z.string().nullable(), size: z.number().nullable(), mediaId: z.string().nullable() })
      .nullable(),
    replyTo: z.string().nullable(),
    status: z
      .enum(MESSAGE_STATUSES)
      .describe('received; or for our own sends: pending → retrying (an attempt failed, another follows) → sent → delivered → read → played, or failed'),
    error: z.string().nullable(),
    lastError: z.string().nullable().describe('why the last send attempt failed (the engine’s reason), while retrying or failed'),
    nextAttemptAt: z.string().nullable().describe('when a pending or retrying send is tried next'),
    sentAt: z.string().describe('the WhatsApp timestamp (never null)'),
    editedAt: z.string().nullable(),
    revoked: z.boolean(),
  })
  .strict()
  .meta({ id: 'MessageBase' });
export type MessageBase = z.infer<typeof messageBaseSchema>;

const pollVotes = z
  .array(z.object({ option: z.string(), count: z.number(), voters: z.array(z.string()) }))
  .nullable()
  .optional()
  .describe('polls: each option with its count and voters (null for other messages)');

export const messageSchema = messageBaseSchema
  .extend({
    reactions: z.array(z.object({ emoji: z.string(), from: z.string(), at: z.string() })),
    pollVotes,
  })
  .meta({ id: 'Message' });

/** A message in a `message.created` / `message.updated` event: no reactions; a poll's votes when they changed; `deleted` when hidden for the org. */
export const messageEventSchema = messageBaseSchema
  .extend({
    pollVotes,
    deleted: z.literal(true).optional().describe('the message was deleted for the organization: drop it'),
  })
  .meta({ id: 'MessageEvent' });

/** One message as GET /api/messages/:id shows it: with the texts an edit replaced. */
export const messageDetailSchema = messageSchema
  .extend({
    edits: z.array(z.object({ text: z.string().nullable(), at: z.string() })).describe('earlier texts, oldest first (empty when never edited)'),
  })
  .meta({ id: 'MessageDetail' });

export const chatRef = z.object({ id: z.number(), name: z.string().nullable(), jid: z.string() }).meta({ id: 'ChatRef' });
export const messagePage = z
  .object({
    items: z.array(messageSchema).describe('newest first'),
    nextCursor: z.string().nullable().describe('same as before (kept for older clients)'),
    before: z.string().nullable().describe('pass as `before` for the page older than these items; null when there is none'),
    after: z.string().nullable().describe('pass as `after` for the page newer than these items; null when these reach the newest message'),
  })
  .meta({ id: 'MessagePage' });
export const logPage = z.object({ items: z.array(messageSchema.extend({ chat: chatRef })), nextCursor: z.string().nullable() }).meta({ id: 'MessageLogPage' });

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
}).meta({ id: 'MessageStats' });
