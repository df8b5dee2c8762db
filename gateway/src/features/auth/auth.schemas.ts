import { z } from 'zod';
import { email, password, personName, userSchema } from '../users/users.schemas.js';

export const registerBody = z.object({ orgName: z.string().trim().min(1).max(120), name: personName, email, password }).strict();
export const loginBody = z.object({ email, password: z.string().min(1).max(200) }).strict();
export const refreshBody = z.object({ refreshToken: z.string().min(20).max(200) }).strict();
export const logoutBody = z.object({ refreshToken: z.string().min(20).max(200), everywhere: z.boolean().default(false) }).strict();

export const sessionSchema = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number().describe('access token lifetime in seconds'),
  user: userSchema,
}).meta({ id: 'Session' });
export const meSchema = z.object({
  id: z.string(),
  orgId: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.string(),
}).meta({ id: 'Me' });
