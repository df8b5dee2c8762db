import { api } from '../../api/api';

export type Role = 'admin' | 'editor' | 'viewer';
export interface OrgUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: string;
}
export interface AuditEntry {
  id: number;
  actorId: string | null;
  actorName: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  targetName: string | null;
  details: Record<string, unknown> | null;
  at: string;
}
export interface AuditFilters {
  actorId?: string;
  /** An action, or a family such as 'contact.*'. */
  action?: string;
  /** ISO times; `to` is exclusive. */
  from?: string;
  to?: string;
}
interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const adminApi = api.injectEndpoints({
  endpoints: (b) => ({
    listUsers: b.query<Page<OrgUser>, { q?: string }>({
      query: ({ q }) => ({ url: '/api/users', params: { q, limit: 200 } }),
      providesTags: ['User'],
    }),
    createUser: b.mutation<OrgUser, { email: string; name: string; role: Role; password: string }>({
      query: (body) => ({ url: '/api/users', method: 'POST', body }),
      invalidatesTags: ['User', 'Audit'],
    }),
    updateUser: b.mutation<OrgUser, { id: string; role?: Role; name?: string }>({
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
    getAudit: b.infiniteQuery<Page<AuditEntry>, AuditFilters, string | null>({
      infiniteQueryOptions: { initialPageParam: null, getNextPageParam: (l) => l.nextCursor ?? undefined },
      query: ({ queryArg, pageParam }) => ({ url: '/api/audit', params: { limit: 50, ...queryArg, cursor: pageParam } }),
      providesTags: ['Audit'],
    }),
  }),
});
export const { useListUsersQuery, useCreateUserMutation, useUpdateUserMutation, useSetPasswordMutation, useDeactivateUserMutation, useGetAuditInfiniteQuery } = adminApi;
