import type { Api } from '../../platform/http/api.js';
import type { SharesService } from './shares.service.js';
import * as s from './shares.schemas.js';

const tags = ['shares'];

export function sharesRoutes(api: Api, shares: SharesService): void {
  api.route(
    {
      method: 'post',
      path: '/api/chats/:id/shares',
      summary: 'Share a chat read-only with another person of the org (owner and agents; audited)',
      tags,
      auth: 'user',
      params: s.chatIdParams,
      body: s.createShareBody,
      status: 201,
      response: s.shareSchema,
      responses: { 403: 'A viewer or grantee', 404: 'No such chat (or not visible), or no such active user', 409: 'That person already sees the chat' },
    },
    ({ params, body, actor }) => shares.create(actor, params.id, body.userId),
  );
  api.route(
    {
      method: 'get',
      path: '/api/chats/:id/shares',
      summary: 'Who a chat is shared with (people working the number)',
      tags,
      auth: 'user',
      params: s.chatIdParams,
      response: s.shareList,
      responses: { 403: 'A grantee', 404: 'No such chat, or not visible' },
    },
    ({ params, actor }) => shares.list(actor, params.id),
  );
  api.route(
    {
      method: 'delete',
      path: '/api/chats/:id/shares/:userId',
      summary: 'Revoke a share: the grantee loses the chat at once (audited)',
      tags,
      auth: 'user',
      params: s.shareParams,
      status: 204,
      responses: { 403: 'A viewer or grantee', 404: 'No such chat or share' },
    },
    ({ params, actor }) => shares.revoke(actor, params.id, params.userId),
  );
  api.route(
    { method: 'get', path: '/api/shared-with-me', summary: 'Chats others shared with the caller, newest grant first', tags, auth: 'user', query: s.sharedWithMeQuery, response: s.sharedWithMePage },
    ({ query, actor }) => shares.sharedWithMe(actor, query),
  );
}
