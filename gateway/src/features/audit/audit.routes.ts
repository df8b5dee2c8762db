import { z } from 'zod';
import { rolesWith } from '../access/access.policy.js';
import type { Api } from '../../platform/http/api.js';
import { pageQuery } from '../../platform/http/pagination.js';
import type { AuditService } from './audit.service.js';

const auditQuery = z
  .object({
    ...pageQuery,
    action: z
      .string()
      .trim()
      .regex(/^[a-z_]+(\.[a-z_]+)*(\.\*)?$/, 'an action such as contact.create, or a family such as contact.*')
      .max(100)
      .optional(),
    targetId: z.string().max(100).optional(),
    actorId: z.string().uuid().optional().describe('only what this person did'),
    from: z.coerce.date().optional().describe('entries at or after this time (ISO 8601)'),
    to: z.coerce.date().optional().describe('entries before this time (ISO 8601)'),
  })
  .refine((q) => !q.from || !q.to || q.from < q.to, { message: 'from must be before to', path: ['to'] });

const auditPage = z.object({
  items: z.array(
    z.object({
      id: z.number().int(),
      actorId: z.string().nullable(),
      actorName: z.string().nullable().describe('null for the system, or a failed sign-in (nobody signed in)'),
      action: z.string(),
      targetType: z.string(),
      targetId: z.string().nullable(),
      targetName: z.string().nullable().describe('users, contacts, tags and devices; null for others'),
      details: z.record(z.string(), z.unknown()).nullable(),
      requestId: z.string().nullable(),
      at: z.string(),
    }).meta({ id: 'AuditEntry' }),
  ),
  nextCursor: z.string().nullable(),
}).meta({ id: 'AuditPage' });

export function auditRoutes(api: Api, audit: AuditService): void {
  api.route(
    {
      method: 'get',
      path: '/api/audit',
      summary: 'The organization audit log, newest first, with actor and target names; filters actor, action (or family x.*), from/to',
      tags: ['audit'],
      auth: rolesWith('audit.read'),
      query: auditQuery,
      response: auditPage,
    },
    ({ query, user }) => audit.list(user.orgId, query),
  );
}
