import type { Api } from '../../platform/http/api.js';
import type { FavoritesService } from './favorites.service.js';
import * as s from './favorites.schemas.js';

const tags = ['favorites'];

/** Any signed-in person pins for themself; viewers too (a pin changes nothing shared). */
export function favoritesRoutes(api: Api, favorites: FavoritesService): void {
  api.route(
    { method: 'get', path: '/api/favorites', summary: 'Your pinned contacts and chats, in your order (not paginated)', tags, auth: 'user', response: s.favoriteList },
    ({ user }) => favorites.list(user),
  );
  api.route(
    { method: 'put', path: '/api/favorites/chats/:chatId', summary: 'Pin a chat you may see, or move it (position optional; absent = last)', tags, auth: 'user', params: s.chatTargetParams, body: s.pinBody, response: s.favoriteList, responses: { 404: 'No such chat that you may see' } },
    ({ user, params, body }) => favorites.pinChat(user, params.chatId, body.position),
  );
  api.route(
    { method: 'delete', path: '/api/favorites/chats/:chatId', summary: 'Unpin a chat', tags, auth: 'user', params: s.chatTargetParams, status: 204, responses: { 404: 'Not pinned' } },
    ({ user, params }) => favorites.unpin(user, 'chat', String(params.chatId)),
  );
  api.route(
    { method: 'put', path: '/api/favorites/:contactId', summary: 'Pin a contact, or move it (position optional; absent = last)', tags, auth: 'user', params: s.contactTargetParams, body: s.pinBody, response: s.favoriteList, responses: { 404: 'No such contact here' } },
    ({ user, params, body }) => favorites.pinContact(user, params.contactId, body.position),
  );
  api.route(
    { method: 'delete', path: '/api/favorites/:contactId', summary: 'Unpin a contact', tags, auth: 'user', params: s.contactTargetParams, status: 204, responses: { 404: 'Not pinned' } },
    ({ user, params }) => favorites.unpin(user, 'contact', params.contactId),
  );
}
