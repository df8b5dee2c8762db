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

export function listAudit(db: Knex, orgId: string, f: { limit: number; beforeId?: number; action?: string; targetId?: string }) {
  const q = db<AuditRow>('audit_log').where({ org_id: orgId }).orderBy('id', 'desc').limit(f.limit + 1);
  if (f.beforeId) q.where('id', '<', f.beforeId);
  if (f.action) q.where('action', f.action);
  if (f.targetId) q.where('target_id', f.targetId);
  return q;
}
