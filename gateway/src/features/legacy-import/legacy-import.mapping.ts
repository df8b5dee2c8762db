import { z } from 'zod';

/**
 * Where the legacy `data_feeds` schema keeps each thing. Every table and column can be renamed with a
 * mapping file (--mapping=path.json) holding only what differs, e.g.
 *   { "contacts": { "table": "crm_contacts", "columns": { "phone": "mobile_no" } }, "roles": { "3": "editor" } }
 * A column set to null is absent. Columns the defaults name but the table lacks are skipped (optional
 * ones) or reported (required ones: users.email, tags.id, tags.name, contacts.phone, whatsapp.jid or phone).
 */
export const DEFAULT_MAPPING = {
  users: { table: 'user_ref', columns: { id: 'id', email: 'email', name: 'name', role: 'role' } },
  tags: { table: 'tag_ref', columns: { id: 'id', name: 'name', color: 'color' } },
  contacts: {
    table: 'contact_ref',
    columns: { id: 'id', name: 'name', phone: 'phone', email: 'email', company: 'company', notes: 'notes', tagId: 'tag_id', userId: 'user_id' },
  },
  whatsapp: {
    table: 'contact_whatsapp',
    columns: { id: 'id', jid: 'jid', phone: 'phone', pushName: 'push_name', fullName: 'full_name', businessName: 'business_name' },
  },
  /** Legacy role values (compared lower-cased) → gateway roles; anything else gets --default-role. */
  roles: { admin: 'admin', administrator: 'admin', editor: 'editor', agent: 'editor', user: 'editor', viewer: 'viewer', readonly: 'viewer' } as Record<string, string>,
};

export type Entity = 'users' | 'tags' | 'contacts' | 'whatsapp';
export type Mapping = {
  [E in Entity]: { table: string; columns: { [C in keyof (typeof DEFAULT_MAPPING)[E]['columns']]: string | null } };
} & { roles: Record<string, 'admin' | 'editor' | 'viewer'> };

export const REQUIRED: Record<Entity, string[][]> = {
  users: [['email']],
  tags: [['id'], ['name']],
  contacts: [['phone']],
  whatsapp: [['jid', 'phone']], // one of them
};

const entityOverride = z
  .object({ table: z.string().min(1).optional(), columns: z.record(z.string(), z.string().min(1).nullable()).optional() })
  .strict()
  .optional();
const fileSchema = z
  .object({
    users: entityOverride,
    tags: entityOverride,
    contacts: entityOverride,
    whatsapp: entityOverride,
    roles: z.record(z.string(), z.enum(['admin', 'editor', 'viewer'])).optional(),
  })
  .strict();

/** The defaults with a mapping file's overrides; unknown keys are an error naming them. */
export function resolveMapping(file?: unknown): Mapping {
  const m = structuredClone(DEFAULT_MAPPING) as unknown as Mapping;
  if (file === undefined) return m;
  const parsed = fileSchema.safeParse(file);
  if (!parsed.success) throw new Error(`mapping file: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  for (const entity of ['users', 'tags', 'contacts', 'whatsapp'] as const) {
    const o = parsed.data[entity];
    if (!o) continue;
    if (o.table) m[entity].table = o.table;
    for (const [k, v] of Object.entries(o.columns ?? {})) {
      if (!(k in m[entity].columns)) throw new Error(`mapping file: ${entity}.columns.${k} is not a known field (${Object.keys(m[entity].columns).join(', ')})`);
      (m[entity].columns as Record<string, string | null>)[k] = v;
    }
  }
  for (const [k, v] of Object.entries(parsed.data.roles ?? {})) m.roles[k.toLowerCase()] = v;
  return m;
}
