export const ROLES = ['admin', 'editor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, as the auth middleware found them; every feature reads the caller from here. */
export interface AuthUser {
  id: string;
  orgId: string;
  email: string;
  name: string;
  role: Role;
}

/** A caller and the request they called in: what a service needs for access checks and the audit log. */
export interface Actor {
  user: AuthUser;
  requestId?: string;
}

declare module 'express-serve-static-core' {
  interface Request {
    user?: AuthUser;
  }
}

export function requireUser(req: { user?: AuthUser }): AuthUser {
  if (!req.user) throw new Error('route reached without authentication; declare auth in its spec');
  return req.user;
}
