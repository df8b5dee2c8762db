import { api } from '../../api/api';
import type { BodyOf, Schema } from '../../api/schemas';

// Wire shapes come from the API's schemas (src/api/schemas.ts).
export type OrgUser = Schema<'User'>;
export type Role = OrgUser['role'];
export type AuditEntry = Schema<'AuditEntry'>;
export interface AuditFilters {
  actorId?: string;
  /** An action, or a family such as 'contact.*'. */
  action?: string;
  /** ISO times; `to` is exclusive. */
  from?: string;
  to?: string;
}

export const adminApi = api.injectEndpoints({
  endpoints: (b) => ({
    listUsers: b.query<Schema<'UserPage'>, { q?: string }>({
      query: ({ q }) => ({ url: '/api/users', params: { q, limit: 200 } }),
      providesTags: ['User'],
    }),
    createUser: b.mutation<OrgUser, BodyOf<'/api/users', 'post'>>({
      query: (body) => ({ url: '/api/users', method: 'POST', body }),
      invalidatesTags: ['User', 'Audit'],
    }),
    updateUser: b.mutation<OrgUser, { id: string } & BodyOf<'/api/users/{id}', 'put'>>({
      query: ({ id, ...body }) => ({ url: `/api/users/${id}`, method: 'PUT', body }),
      invalidatesTags: ['User', 'Audit'],
    }),
    setPassword: b.mutation<null, { id: string; newPassword: string }>({
      query: ({ id, newPassword }) => ({ url: `/api/users/${id}/password`, method: 'PUT', body: { newPassword } }),
      invalidatesTags: ['Audit'],
    }),
    deactivateUser: b.mutation<null, string>({
      query: (id) => ({ url: `/api/users/${id}`, method: 'DELETE' }),
      invalidatesTags: ['User', 'Audit'],
    }),
    getAudit: b.infiniteQuery<Schema<'AuditPage'>, AuditFilters, string | null>({
      infiniteQueryOptions: { initialPageParam: null, getNextPageParam: (l) => l.nextCursor ?? undefined },
      query: ({ queryArg, pageParam }) => ({ url: '/api/audit', params: { limit: 50, ...queryArg, cursor: pageParam } }),
      providesTags: ['Audit'],
    }),
  }),
});
export const { useListUsersQuery, useCreateUserMutation, useUpdateUserMutation, useSetPasswordMutation, useDeactivateUserMutation, useGetAuditInfiniteQuery } = adminApi;
