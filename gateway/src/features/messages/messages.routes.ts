import type { Request } from 'express';
import type { Api } from '../../platform/http/api.js';
import type { AuthUser } from '../../platform/http/auth-context.js';
import type { MessagesService } from './messages.service.js';
import * as s from './messages.schemas.js';

const actorOf = (req: Request) => ({ user: req.user as AuthUser, requestId: String(req.id ?? '') });
const tags = ['messages'];
const hidden = { 404: 'No such message, or not in a chat the caller may see' };

/** Reading messages (logs, stats, one message) and hiding one; sending lives with the outbox. */
export function messagesRoutes(api: Api, messages: MessagesService): void {
  api.route(
    {
      method: 'get',
      path: '/api/messages',
      summary: 'Message logs over every chat the caller may see, newest first, with filters',
      tags,
      auth: 'user',
      query: s.listMessagesQuery,
      response: s.logPage,
    },
    ({ query, req }) => messages.list(actorOf(req), query),
  );
  // Declared before /:id so "stats" is never taken for an id.
  api.route(
    {
      method: 'get',
      path: '/api/messages/stats',
      summary: 'Counts per day (UTC), direction, status, device and top contacts, over visible messages',
      tags,
      auth: 'user',
      query: s.statsQuery,
      response: s.statsSchema,
    },
    ({ query, req }) => messages.stats(actorOf(req), query),
  );
  api.route(
    { method: 'get', path: '/api/messages/:id', summary: 'One message with its reactions', tags, auth: 'user', params: s.messageIdParams, response: s.messageSchema, responses: hidden },
    ({ params, req }) => messages.get(actorOf(req), params.id),
  );
  api.route(
    {
      method: 'delete',
      path: '/api/messages/:id',
      summary: 'Hide a message for the whole organization (soft, audited); owner and agents only',
      tags,
      auth: 'user',
      params: s.messageIdParams,
      status: 204,
      responses: { ...hidden, 403: 'A viewer or grantee' },
    },
    ({ params, req }) => messages.remove(actorOf(req), params.id),
  );
}
