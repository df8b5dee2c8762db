import { rolesWith } from '../access/access.policy.js';
import type { Api } from '../../platform/http/api.js';
import type { TagsService } from './tags.service.js';
import * as s from './tags.schemas.js';

const tags = ['tags'];
/** Everyone in the organization reads tags; editors and admins change them. */
export const WRITERS = rolesWith('tag.manage');

export function tagsRoutes(api: Api, service: TagsService): void {
  api.route(
    { method: 'get', path: '/api/tags', summary: 'The organization’s tags with how many contacts carry each (by name; not paginated)', tags, auth: 'user', response: s.tagList },
    ({ actor }) => service.list(actor),
  );
  api.route(
    { method: 'post', path: '/api/tags', summary: 'Create a tag', tags, auth: WRITERS, body: s.createTagBody, status: 201, response: s.tagWithCountSchema, responses: { 409: 'A tag with this name exists (case-insensitive)' } },
    ({ body, actor }) => service.create(actor, body),
  );
  api.route(
    { method: 'put', path: '/api/tags/:id', summary: 'Rename or recolor a tag', tags, auth: WRITERS, params: s.tagIdParams, body: s.updateTagBody, response: s.tagWithCountSchema, responses: { 404: 'No such tag here', 409: 'A tag with this name exists' } },
    ({ params, body, actor }) => service.update(actor, params.id, body),
  );
  api.route(
    { method: 'delete', path: '/api/tags/:id', summary: 'Delete a tag (it is removed from every contact)', tags, auth: WRITERS, params: s.tagIdParams, status: 204, responses: { 404: 'No such tag here' } },
    ({ params, actor }) => service.remove(actor, params.id),
  );
}
