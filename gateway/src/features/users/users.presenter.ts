import type { UserRow } from './users.repository.js';

export const presentUser = (u: UserRow) => ({
  id: u.id,
  orgId: u.org_id,
  email: u.email,
  name: u.name,
  role: u.role,
  createdAt: u.created_at.toISOString(),
  updatedAt: u.updated_at.toISOString(),
});
