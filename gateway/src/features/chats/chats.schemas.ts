import { z } from 'zod';
import { pageQuery } from '../../platform/http/pagination.js';

export const chatIdParams = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

const flag = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1')
  .optional();

export const listChatsQuery = z.object({
  ...pageQuery,
  deviceId: z.string().uuid().optional(),
  unread: flag.describe('only chats with unread messages'),
  favorite: flag.describe('only pinned chats, or chats whose CRM contact is pinned'),
  q: z.string().trim().min(1).max(100).optional().describe('part of the chat name, CRM name or number'),
});

export const messagesPageQuery = z
  .object({
    limit: pageQuery.limit,
    before: z.string().max(500).optional().describe('older than this cursor (a page’s `before` or `nextCursor`)'),
    cursor: z.string().max(500).optional().describe('same as before'),
    after: z.string().max(500).optional().describe('newer than this cursor (a page’s `after`): paging towards the newest'),
    around: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional().describe('a page centred on this message id (a search hit, a quoted message)'),
  })
  .refine((q) => [q.before ?? q.cursor, q.after, q.around].filter((v) => v !== undefined).length <= 1, {
    message: 'use one of before, after and around',
    path: ['around'],
  });

export const crmSchema = z.object({
  contactId: z.string(),
  name: z.string(),
  phone: z.string(),
  tags: z.array(z.object({ id: z.string(), name: z.string(), color: z.string() })),
});

/** A chat as `presentChat` shows it (and its `chat.updated` event): without the caller's view of it. */
export const chatSummarySchema = z
  .object({
    id: z.number(),
    deviceId: z.string(),
    jid: z.string(),
    name: z.string().nullable(),
    isGroup: z.boolean(),
    lastMessageAt: z.string().nullable(),
    lastMessageId: z.number().nullable(),
    lastMessagePreview: z.string().nullable(),
    unreadCount: z.number(),
  })
  .meta({ id: 'ChatSummary' });
export type ChatSummary = z.infer<typeof chatSummarySchema>;

/** A chat as the reading API shows it: how the caller relates to it, whether pinned, its CRM contact. */
export const chatSchema = chatSummarySchema
  .extend({
    access: z.enum(['owner', 'agent', 'viewer', 'grantee']),
    favorite: z.boolean(),
    crm: crmSchema.nullable(),
  })
  .meta({ id: 'Chat' });

export const chatPage = z.object({ items: z.array(chatSchema), nextCursor: z.string().nullable() }).meta({ id: 'ChatPage' });

export const startChatBody = z.object({
  deviceId: z.string().uuid().describe('a device the caller sends from (owner or agent)'),
  phone: z.string().trim().min(3).max(40).describe('a phone number in any common format; national numbers read in PHONE_DEFAULT_REGION'),
});
