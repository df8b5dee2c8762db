import { z } from 'zod';

export const tagName = z.string().trim().min(1).max(60);
export const tagColor = z
  .string()
  .trim()
  .regex(/^#[0-9a-fA-F]{6}$/, 'expected a color such as #1e88e5')
  .transform((v) => v.toLowerCase());

export const tagSchema = z.object({ id: z.string().uuid(), name: z.string(), color: z.string() }).meta({ id: 'Tag' });
export const tagWithCountSchema = tagSchema.extend({ contactCount: z.number().int(), createdAt: z.string(), updatedAt: z.string() }).meta({ id: 'TagWithCount' });
export const tagList = z.object({ items: z.array(tagWithCountSchema) }).meta({ id: 'TagList' });

export const tagIdParams = z.object({ id: z.string().uuid() });
export const createTagBody = z.object({ name: tagName, color: tagColor.optional() }).strict();
export const updateTagBody = z
  .object({ name: tagName.optional(), color: tagColor.optional() })
  .strict()
  .refine((b) => b.name !== undefined || b.color !== undefined, { message: 'give name or color' });
