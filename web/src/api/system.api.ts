import { api } from './api';
import type { Schema } from './schemas';

export type SystemInfo = Schema<'System'>;

/** Public facts about this installation (demo mode and the simulator's page). */
export const systemApi = api.injectEndpoints({
  endpoints: (b) => ({
    getSystem: b.query<SystemInfo, void>({ query: () => '/api/system', providesTags: ['System'] }),
  }),
});
export const { useGetSystemQuery } = systemApi;
