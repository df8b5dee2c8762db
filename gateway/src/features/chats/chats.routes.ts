import type { Request } from 'express';
import type { Api } from '../../platform/http/api.js';
import type { AuthUser } from '../../platform/http/auth-context.js';
import { messagePage } from '../messages/messages.schemas.js';
import type { ChatsService } from './chats.service.js';
import * as s from './chats.schemas.js';

const actorOf = (req: Request) => ({ user: req.user as AuthUser, requestId: String(req.id ?? '') });
const tags = ['chats'];
const hidden = { 404: 'No such chat, or not one the caller may see' };

export function chatsRoutes(api: Api, chats: ChatsService): void {
  api.route(
    {
      method: 'get',
      path: '/api/chats',
      summary: 'The caller’s chats by last activity, with unread counts, pins and CRM names',
      tags,
      auth: 'user',
      query: s.listChatsQuery,
      response: s.chatPage,
    },
    ({ query, req }) => chats.list(actorOf(req), query),
  );
  api.route(
    { method: 'get', path: '/api/chats/:id', summary: 'One chat', tags, auth: 'user', params: s.chatIdParams, response: s.chatSchema, responses: hidden },
    ({ params, req }) => chats.get(actorOf(req), params.id),
  );
  api.route(
    {
      method: 'get',
      path: '/api/chats/:id/messages',
      summary: 'A conversation, newest first; pass nextCursor as `before` for older messages',
      tags,
      auth: 'user',
      params: s.chatIdParams,
      query: s.messagesPageQuery,
      response: messagePage,
      responses: hidden,
    },
    ({ params, query, req }) => chats.messages(actorOf(req), params.id, { limit: query.limit, before: query.before ?? query.cursor }),
  );
  api.route(
    {
      method: 'post',
      path: '/api/chats/:id/read',
      summary: 'Mark the chat read (unread count 0) and send seen to WhatsApp; owner and agents only',
      tags,
      auth: 'user',
      params: s.chatIdParams,
      response: s.chatSchema,
      responses: { ...hidden, 403: 'A viewer or grantee: reads without marking read' },
    },
    ({ params, req }) => chats.read(actorOf(req), params.id),
  );
}
