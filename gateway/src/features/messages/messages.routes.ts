import type { Api } from '../../platform/http/api.js';
import type { MessagesService } from './messages.service.js';
import * as s from './messages.schemas.js';

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
    ({ query, actor }) => messages.list(actor, query),
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
    ({ query, actor }) => messages.stats(actor, query),
  );
  api.route(
    { method: 'get', path: '/api/messages/:id', summary: 'One message with its reactions, poll votes and earlier texts (edits)', tags, auth: 'user', params: s.messageIdParams, response: s.messageDetailSchema, responses: hidden },
    ({ params, actor }) => messages.get(actor, params.id),
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
    ({ params, actor }) => messages.remove(actor, params.id),
  );
}
