import { z } from 'zod';
import { ROLES } from '../../platform/http/auth-context.js';
import { pageQuery } from '../../platform/http/pagination.js';

export const email = z.string().trim().toLowerCase().email().max(254);
export const password = z.string().min(10, 'at least 10 characters').max(200);
export const personName = z.string().trim().min(1).max(120);
export const role = z.enum(ROLES);

export const userSchema = z.object({
  id: z.string().uuid(),
  orgId: z.string().uuid(),
  email: z.string(),
  name: z.string(),
  role,
  createdAt: z.string(),
  updatedAt: z.string(),
}).meta({ id: 'User' });

export const userIdParams = z.object({ id: z.string().uuid() });

export const createUserBody = z.object({ email, name: personName, role, password }).strict();
export const updateUserBody = z
  .object({ name: personName.optional(), role: role.optional() })
  .strict()
  .refine((b) => b.name !== undefined || b.role !== undefined, { message: 'give name or role' });
export const changePasswordBody = z.object({ oldPassword: z.string().max(200).optional(), newPassword: password }).strict();
export const listUsersQuery = z.object({ ...pageQuery, role: role.optional(), q: z.string().trim().max(100).optional() });

export const userPage = z.object({ items: z.array(userSchema), nextCursor: z.string().nullable() }).meta({ id: 'UserPage' });

export const directoryQuery = z.object({ q: z.string().trim().max(100).optional(), limit: z.coerce.number().int().min(1).max(500).default(200) });
export const directorySchema = z.object({ items: z.array(z.object({ id: z.string().uuid(), name: z.string(), email: z.string(), role })) }).meta({ id: 'UserDirectory' });
