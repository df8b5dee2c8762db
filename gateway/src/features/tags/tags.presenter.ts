import type { TagRow } from './tags.repository.js';

export const presentTagRef = (t: Pick<TagRow, 'id' | 'name' | 'color'>) => ({ id: t.id, name: t.name, color: t.color });

export const presentTag = (t: TagRow & { contact_count?: number }) => ({
  ...presentTagRef(t),
  contactCount: t.contact_count ?? 0,
  createdAt: t.created_at.toISOString(),
  updatedAt: t.updated_at.toISOString(),
});
