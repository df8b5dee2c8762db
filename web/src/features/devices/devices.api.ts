import { api } from '../../api/api';
import { listenWhileCached } from '../../api/realtime';

export type DeviceStatus = 'starting' | 'qr' | 'connected' | 'disconnected' | 'logged_out' | 'failed' | 'needs_attention';
export interface Device {
  id: string;
  name: string;
  engine: string;
  engineSession: string;
  status: DeviceStatus;
  /** The engine's own word for the state (e.g. PASSKEY_REQUIRED). */
  statusDetail: string | null;
  /** Whether the gateway reached the engine at its last try; apart from status (an outage never changes it). */
  engineReachable: boolean;
  engineCheckedAt: string | null;
  phone: string | null;
  pushName: string | null;
  ownerId: string;
  access: 'owner' | 'agent' | 'viewer' | 'admin';
  statusAt: string;
  connectedAt: string | null;
  createdAt: string;
}
export interface SyncJob {
  id: number;
  status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  /** While open: reading the engine's API, or waiting for the history the engine pushes (WuzAPI). */
  phase?: 'engine_api' | 'engine_history' | null;
  trigger?: string;
  totalChats: number | null;
  doneChats: number;
  totalMessages: number | null;
  doneMessages: number;
  importedMessages: number;
  ratePerSecond: number | null;
  error?: string | null;
  startedAt?: string | null;
  finishedAt?: string | null;
}
export interface Member {
  userId: string;
  name: string;
  email: string;
  role: 'agent' | 'viewer';
}
export interface OrgUser {
  id: string;
  name: string;
  email: string;
  role: string;
}

export const devicesApi = api.injectEndpoints({
  endpoints: (b) => ({
    listDevices: b.query<{ items: Device[] }, void>({
      query: () => '/api/devices',
      providesTags: ['Device'],
      async onCacheEntryAdded(_arg, lifecycle) {
        await listenWhileCached(lifecycle, (e) => {
          if (e.type !== 'device.status') return;
          const d = e.data as Partial<Device> & { deviceId?: string };
          const id = d.deviceId ?? d.id;
          lifecycle.updateCachedData((draft) => {
            const dev = draft.items.find((x) => x.id === id);
            if (!dev) return;
            if (d.status) dev.status = d.status;
            if (d.statusDetail !== undefined) dev.statusDetail = d.statusDetail;
            if (d.engineReachable !== undefined) dev.engineReachable = d.engineReachable;
            if (d.engineCheckedAt !== undefined) dev.engineCheckedAt = d.engineCheckedAt;
            if (d.phone !== undefined) dev.phone = d.phone;
            if (d.pushName !== undefined) dev.pushName = d.pushName;
          });
        });
      },
    }),
    createDevice: b.mutation<Device, { name: string; engine?: string }>({
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
    getQr: b.query<{ status: string; qr: string | null }, string>({
      query: (id) => `/api/devices/${id}/qr`,
      keepUnusedDataFor: 0,
    }),
    requestPairingCode: b.mutation<{ code: string }, { id: string; phone: string }>({
      query: ({ id, phone }) => ({ url: `/api/devices/${id}/pairing-code`, method: 'POST', body: { phone } }),
    }),
    getMembers: b.query<{ items: Member[] }, string>({
      query: (id) => `/api/devices/${id}/members`,
      providesTags: (_r, _e, id) => [{ type: 'Member', id }],
    }),
    addMember: b.mutation<{ items: Member[] }, { id: string; userId: string; role: 'agent' | 'viewer' }>({
      query: ({ id, userId, role }) => ({ url: `/api/devices/${id}/members`, method: 'POST', body: { userId, role } }),
      invalidatesTags: (_r, _e, a) => [{ type: 'Member', id: a.id }],
    }),
    removeMember: b.mutation<null, { id: string; userId: string }>({
      query: ({ id, userId }) => ({ url: `/api/devices/${id}/members/${userId}`, method: 'DELETE' }),
      invalidatesTags: (_r, _e, a) => [{ type: 'Member', id: a.id }],
    }),
    /** Colleagues to add as members: the organization's people. */
    listColleagues: b.query<{ items: OrgUser[] }, void>({
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
          const job = e.data as SyncJob & { deviceId?: string };
          if (job.deviceId !== id) return;
          lifecycle.updateCachedData((draft) => ({ ...(draft ?? {}), ...job }) as SyncJob);
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
