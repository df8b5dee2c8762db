import type { Knex } from 'knex';
import { decodeCursor, toPage } from '../../platform/http/pagination.js';
import { insertAudit, listAudit, type AuditEntry, type AuditFilter, type AuditListRow } from './audit.repository.js';

export type { AuditEntry };

export class AuditService {
  constructor(private readonly db: Knex) {}

  /** Pass the transaction that makes the change, so the change and its record commit together. */
  record(entry: AuditEntry, trx: Knex = this.db) {
    return insertAudit(trx, entry);
  }

  async list(orgId: string, f: Omit<AuditFilter, 'beforeId'> & { cursor?: string }) {
    const key = decodeCursor(f.cursor, 1);
    const rows = await listAudit(this.db, orgId, { ...f, beforeId: key ? Number(key[0]) : undefined });
    return toPage(rows, f.limit, (r) => [r.id], present);
  }
}

const present = (r: AuditListRow) => ({
  id: Number(r.id),
  actorId: r.actor_id,
  actorName: r.actor_name,
  action: r.action,
  targetType: r.target_type,
  targetId: r.target_id,
  targetName: r.target_name,
  details: r.details,
  requestId: r.request_id,
  at: r.created_at.toISOString(),
});
