import { z } from 'zod';
import type { Api } from '../../platform/http/api.js';
import { pageQuery } from '../../platform/http/pagination.js';
import type { AuditService } from './audit.service.js';

export function auditRoutes(api: Api, audit: AuditService): void {
  api.route(
    {
      method: 'get',
      path: '/api/audit',
      summary: 'The organization audit log, newest first',
      tags: ['audit'],
      auth: ['admin'],
      query: z.object({ ...pageQuery, action: z.string().max(100).optional(), targetId: z.string().max(100).optional() }),
    },
    ({ query, user }) => audit.list(user.orgId, query),
  );
}
