import type { Knex } from 'knex';

export interface AuditEntry {
  orgId: string;
  actorId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  details?: Record<string, unknown>;
  requestId?: string | null;
}

export interface AuditRow {
  id: number;
  org_id: string;
  actor_id: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  details: Record<string, unknown> | null;
  request_id: string | null;
  created_at: Date;
}

export const insertAudit = (db: Knex, e: AuditEntry) =>
  db('audit_log').insert({
    org_id: e.orgId,
    actor_id: e.actorId,
    action: e.action,
    target_type: e.targetType,
    target_id: e.targetId,
    details: e.details ? JSON.stringify(e.details) : null,
    request_id: e.requestId ?? null,
  });

export interface AuditFilter {
  limit: number;
  beforeId?: number;
  /** Exact action, or a family ending in '.*' ('contact.*'). */
  action?: string;
  targetId?: string;
  actorId?: string;
  from?: Date;
  to?: Date;
}

export type AuditListRow = AuditRow & { actor_name: string | null; target_name: string | null };

/**
 * Newest first, with the actor's name and the target's name (looked up now; for a target that is
 * gone, the name its delete recorded in details). Chats and messages are named by number only: the
 * audit log is read by admins, who may not see those chats.
 */
export function listAudit(db: Knex, orgId: string, f: AuditFilter) {
  const q = db('audit_log as a')
    .leftJoin('users as u', 'u.id', 'a.actor_id')
    .where('a.org_id', orgId)
    .select<AuditListRow[]>(
      'a.*',
      'u.name as actor_name',
      db.raw(`CASE a.target_type
          WHEN 'user' THEN (SELECT name FROM users WHERE id = a.target_id::uuid)
          WHEN 'contact' THEN (SELECT name FROM contacts WHERE id = a.target_id::uuid)
          WHEN 'tag' THEN coalesce((SELECT name FROM tags WHERE id = a.target_id::uuid), a.details->>'name')
          WHEN 'device' THEN coalesce((SELECT name FROM devices WHERE id = a.target_id::uuid), a.details->>'name')
        END AS target_name`),
    )
    .orderBy('a.id', 'desc')
    .limit(f.limit + 1);
  if (f.beforeId) q.where('a.id', '<', f.beforeId);
  if (f.action?.endsWith('.*')) q.whereLike('a.action', `${f.action.slice(0, -2).replace(/[\\%_]/g, (c) => '\\' + c)}.%`);
  else if (f.action) q.where('a.action', f.action);
  if (f.targetId) q.where('a.target_id', f.targetId);
  if (f.actorId) q.where('a.actor_id', f.actorId);
  if (f.from) q.where('a.created_at', '>=', f.from);
  if (f.to) q.where('a.created_at', '<', f.to);
  return q;
}
