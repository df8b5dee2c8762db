import type { Request } from 'express';
import type { Api } from '../../platform/http/api.js';
import type { AuthUser } from '../../platform/http/auth-context.js';
import type { SearchService } from './search.service.js';
import * as s from './search.schemas.js';

export function searchRoutes(api: Api, search: SearchService): void {
  api.route(
    {
      method: 'get',
      path: '/api/search',
      summary: 'Full-text search over every message the caller may see: ranked, with « »-highlighted snippets and the chat',
      tags: ['search'],
      auth: 'user',
      query: s.searchQuery,
      response: s.searchPage,
    },
    ({ query, req }: { query: { q: string; limit: number; cursor?: string; chatId?: number }; req: Request }) => search.search({ user: req.user as AuthUser }, query),
  );
}
