import { z } from 'zod';
import { pageQuery } from '../../platform/http/pagination.js';
import { chatSummarySchema } from '../chats/chats.schemas.js';

export const chatIdParams = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });
export const shareParams = chatIdParams.extend({ userId: z.string().uuid() });
export const createShareBody = z.object({ userId: z.string().uuid() }).strict();
export const sharedWithMeQuery = z.object({ ...pageQuery });

export const shareSchema = z.object({
  chatId: z.number(),
  userId: z.string(),
  name: z.string(),
  email: z.string(),
  grantedBy: z.string(),
  createdAt: z.string(),
}).meta({ id: 'Share' });
export const shareList = z.object({ items: z.array(shareSchema) }).meta({ id: 'ShareList' });

export const sharedWithMePage = z.object({
  items: z.array(z.object({ chat: chatSummarySchema, sharedBy: z.object({ id: z.string(), name: z.string() }), sharedAt: z.string() })),
  nextCursor: z.string().nullable(),
}).meta({ id: 'SharedWithMePage' });
