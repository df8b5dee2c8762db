import { z } from 'zod';

export const contactTargetParams = z.object({ contactId: z.string().uuid() });
export const chatTargetParams = z.object({ chatId: z.coerce.number().int().positive() });
export const pinBody = z
  .object({ position: z.number().int().min(0).optional().describe('0 = first; absent = last') })
  .strict()
  .optional()
  .transform((b) => b ?? {});

export const favoriteSchema = z.object({
  type: z.enum(['contact', 'chat']),
  position: z.number().int(),
  contact: z.object({ id: z.string().uuid(), name: z.string(), phone: z.string() }).nullable(),
  chat: z.object({ id: z.number().int(), deviceId: z.string().uuid(), jid: z.string(), name: z.string().nullable() }).nullable(),
  pinnedAt: z.string(),
}).meta({ id: 'Favorite' });
export const favoriteList = z.object({ items: z.array(favoriteSchema) }).meta({ id: 'FavoriteList' });
