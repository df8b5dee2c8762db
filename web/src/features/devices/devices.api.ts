import { api } from '../../api/api';
import { listenWhileCached } from '../../api/realtime';
import type { BodyOf, ResponseOf, Schema } from '../../api/schemas';

// Wire shapes come from the API's schemas (src/api/schemas.ts).
export type Device = Schema<'Device'>;
export type DeviceStatus = Device['status'];
export type SyncJob = Schema<'SyncJob'>;
export type Member = Schema<'DeviceMember'>;
export type OrgUser = Schema<'UserDirectory'>['items'][number];

export const devicesApi = api.injectEndpoints({
  endpoints: (b) => ({
    listDevices: b.query<Schema<'DeviceList'>, void>({
      query: () => '/api/devices',
      providesTags: ['Device'],
      async onCacheEntryAdded(_arg, lifecycle) {
        await listenWhileCached(lifecycle, (e) => {
          if (e.type !== 'device.status') return;
          const d = e.data;
          lifecycle.updateCachedData((draft) => {
            const dev = draft.items.find((x) => x.id === d.deviceId);
            if (!dev) return;
            dev.status = d.status;
            dev.statusDetail = d.statusDetail;
            dev.engineReachable = d.engineReachable;
            dev.engineCheckedAt = d.engineCheckedAt;
            if (d.phone !== undefined) dev.phone = d.phone;
            if (d.pushName !== undefined) dev.pushName = d.pushName;
          });
        });
      },
    }),
    createDevice: b.mutation<Device, BodyOf<'/api/devices', 'post'>>({
      query: (body) => ({ url: '/api/devices', method: 'POST', body }),
      invalidatesTags: ['Device'],
    }),
    renameDevice: b.mutation<Device, { id: string; name: string }>({
      query: ({ id, name }) => ({ url: `/api/devices/${id}`, method: 'PUT', body: { name } }),
      invalidatesTags: ['Device'],
    }),
    deleteDevice: b.mutation<null, string>({
      query: (id) => ({ url: `/api/devices/${id}`, method: 'DELETE' }),
      invalidatesTags: ['Device', 'Chat'],
    }),
    logoutDevice: b.mutation<null, string>({
      query: (id) => ({ url: `/api/devices/${id}/logout`, method: 'POST' }),
      invalidatesTags: ['Device'],
    }),
    getQr: b.query<Schema<'DeviceQr'>, string>({
      query: (id) => `/api/devices/${id}/qr`,
      keepUnusedDataFor: 0,
    }),
    requestPairingCode: b.mutation<ResponseOf<'/api/devices/{id}/pairing-code', 'post'>, { id: string; phone: string }>({
      query: ({ id, phone }) => ({ url: `/api/devices/${id}/pairing-code`, method: 'POST', body: { phone } }),
    }),
    getMembers: b.query<ResponseOf<'/api/devices/{id}/members', 'get'>, string>({
      query: (id) => `/api/devices/${id}/members`,
      providesTags: (_r, _e, id) => [{ type: 'Member', id }],
    }),
    addMember: b.mutation<ResponseOf<'/api/devices/{id}/members', 'post'>, { id: string } & BodyOf<'/api/devices/{id}/members', 'post'>>({
      query: ({ id, userId, role }) => ({ url: `/api/devices/${id}/members`, method: 'POST', body: { userId, role } }),
      invalidatesTags: (_r, _e, a) => [{ type: 'Member', id: a.id }],
    }),
    removeMember: b.mutation<null, { id: string; userId: string }>({
      query: ({ id, userId }) => ({ url: `/api/devices/${id}/members/${userId}`, method: 'DELETE' }),
      invalidatesTags: (_r, _e, a) => [{ type: 'Member', id: a.id }],
    }),
    /** Colleagues to add as members: the organization's people. */
    listColleagues: b.query<Schema<'UserDirectory'>, void>({
      query: () => ({ url: '/api/users/directory', params: { limit: 500 } }),
    }),
    getSync: b.query<SyncJob | null, string>({
      // No import yet is a 404: an empty state, not an error.
      queryFn: async (id, _q, _x, baseQuery) => {
        const r = await baseQuery(`/api/devices/${id}/sync`);
        if (r.error) return r.error.status === 404 ? { data: null } : { error: r.error };
        return { data: r.data as SyncJob };
      },
      providesTags: (_r, _e, id) => [{ type: 'Sync', id }],
      async onCacheEntryAdded(id, lifecycle) {
        await listenWhileCached(lifecycle, (e) => {
          if (e.type !== 'sync.progress') return;
          const { deviceId, ...job } = e.data;
          if (deviceId !== id) return;
          lifecycle.updateCachedData(() => job);
          // A finished import brought chats: lists elsewhere ask again.
          if (job.status === 'done') lifecycle.dispatch(api.util.invalidateTags(['Chat']));
        });
      },
    }),
    startSync: b.mutation<SyncJob, string>({
      query: (id) => ({ url: `/api/devices/${id}/sync`, method: 'POST' }),
      invalidatesTags: (_r, _e, id) => [{ type: 'Sync', id }],
    }),
  }),
});

export const {
  useListDevicesQuery,
  useCreateDeviceMutation,
  useRenameDeviceMutation,
  useDeleteDeviceMutation,
  useLogoutDeviceMutation,
  useGetQrQuery,
  useRequestPairingCodeMutation,
  useGetMembersQuery,
  useAddMemberMutation,
  useRemoveMemberMutation,
  useListColleaguesQuery,
  useGetSyncQuery,
  useStartSyncMutation,
} = devicesApi;

/** Share of the import done, 0..1, from messages when their total is known, else from chats. */
export function syncFraction(j: SyncJob): number {
  if (j.status === 'done') return 1;
  if (j.totalMessages) return Math.min(1, j.doneMessages / j.totalMessages);
  if (j.totalChats) return Math.min(1, j.doneChats / j.totalChats);
  return 0;
}
