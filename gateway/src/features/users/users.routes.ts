import { rolesWith } from '../access/access.policy.js';
import type { Api } from '../../platform/http/api.js';
import type { UsersService } from './users.service.js';
import * as s from './users.schemas.js';

const MANAGERS = rolesWith('user.manage');

const tags = ['users'];

export function usersRoutes(api: Api, users: UsersService): void {
  api.route(
    { method: 'post', path: '/api/users', summary: 'Create a user in the caller’s organization', tags, auth: MANAGERS, body: s.createUserBody, status: 201, response: s.userSchema, responses: { 409: 'Email taken' } },
    ({ body, actor }) => users.create(actor, body),
  );
  api.route(
    { method: 'get', path: '/api/users', summary: 'List users (filters role, q; newest first)', tags, auth: MANAGERS, query: s.listUsersQuery, response: s.userPage },
    ({ query, actor }) => users.list(actor, query),
  );
  // Before /api/users/:id, which would take "directory" for an id.
  api.route(
    { method: 'get', path: '/api/users/directory', summary: 'Colleagues of the caller’s organization (name, email) to share with or add to a number', tags, auth: 'user', query: s.directoryQuery, response: s.directorySchema },
    ({ query, actor }) => users.directory(actor, query),
  );
  api.route(
    { method: 'get', path: '/api/users/:id', summary: 'Get a user', tags, auth: MANAGERS, params: s.userIdParams, response: s.userSchema, responses: { 404: 'No such user here' } },
    ({ params, actor }) => users.get(actor, params.id),
  );
  api.route(
    { method: 'put', path: '/api/users/:id', summary: 'Change a user’s name or role', tags, auth: MANAGERS, params: s.userIdParams, body: s.updateUserBody, response: s.userSchema, responses: { 404: 'No such user here', 409: 'Would leave no admin' } },
    ({ params, body, actor }) => users.update(actor, params.id, body),
  );
  api.route(
    { method: 'delete', path: '/api/users/:id', summary: 'Deactivate a user (soft delete; their sessions end)', tags, auth: MANAGERS, params: s.userIdParams, status: 204, responses: { 404: 'No such user here', 409: 'Cannot delete yourself' } },
    ({ params, actor }) => users.remove(actor, params.id),
  );
  api.route(
    { method: 'put', path: '/api/users/:id/password', summary: 'Change your own password (with the old one), or as admin set another’s', tags, auth: 'user', params: s.userIdParams, body: s.changePasswordBody, status: 204, responses: { 403: 'Not yours to change, or old password wrong', 404: 'No such user here' } },
    ({ params, body, actor }) => users.changePassword(actor, params.id, body),
  );
}
