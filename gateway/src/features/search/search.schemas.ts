import { z } from 'zod';
import { pageQuery } from '../../platform/http/pagination.js';
import { messageSchema, chatRef } from '../messages/messages.schemas.js';

export const searchQuery = z.object({
  ...pageQuery,
  limit: z.coerce.number().int().min(1).max(100).default(20),
  q: z.string().trim().min(1, 'a word to search for').max(200).describe('web-search syntax: words, "a phrase", or, -not'),
  chatId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional().describe('only this chat'),
});

export const searchPage = z.object({
  items: z.array(
    z.object({
      message: messageSchema.omit({ reactions: true }),
      chat: chatRef,
      rank: z.number(),
      snippet: z.string().describe('the body around the matches, each match between « and »'),
    }),
  ),
  nextCursor: z.string().nullable(),
}).meta({ id: 'SearchPage' });
