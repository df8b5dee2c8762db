import type { Api } from '../../platform/http/api.js';
import { messagePage } from '../messages/messages.schemas.js';
import type { ChatsService } from './chats.service.js';
import * as s from './chats.schemas.js';

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
    ({ query, actor }) => chats.list(actor, query),
  );
  api.route(
    {
      method: 'post',
      path: '/api/chats',
      summary: 'Start a chat with a phone number on a device the caller sends from: 201 with the new chat, 200 with the one already there',
      tags,
      auth: 'user',
      body: s.startChatBody,
      status: 201,
      response: s.chatSchema,
      responses: { 403: 'A viewer of the device', 404: 'Device not visible', 422: 'The engine says the number has no WhatsApp (`not_on_whatsapp`)' },
    },
    async ({ body, actor, res }) => {
      const r = await chats.start(actor, body);
      if (!r.created) res.status(200).json(r.chat);
      return r.chat;
    },
  );
  api.route(
    { method: 'get', path: '/api/chats/:id', summary: 'One chat', tags, auth: 'user', params: s.chatIdParams, response: s.chatSchema, responses: hidden },
    ({ params, actor }) => chats.get(actor, params.id),
  );
  api.route(
    {
      method: 'get',
      path: '/api/chats/:id/messages',
      summary: 'A conversation, newest first: the newest page, `before` a cursor (older), `after` a cursor (newer), or `around` a message id (centred on it)',
      tags,
      auth: 'user',
      params: s.chatIdParams,
      query: s.messagesPageQuery,
      response: messagePage,
      responses: { 404: 'No such chat, or not one the caller may see; or `around` names no message of this chat' },
    },
    ({ params, query, actor }) => chats.messages(actor, params.id, { limit: query.limit, before: query.before ?? query.cursor, after: query.after, around: query.around }),
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
    ({ params, actor }) => chats.read(actor, params.id),
  );
}
