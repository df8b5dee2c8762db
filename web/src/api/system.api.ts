import { api } from './api';

export interface SystemInfo {
  demo: boolean;
  simulatorUrl: string | null;
  engines: string[];
  /** Where national phone numbers are read (the contact form's default country). */
  phoneRegion?: string;
}

/** Public facts about this installation (demo mode and the simulator's page). */
export const systemApi = api.injectEndpoints({
  endpoints: (b) => ({
    getSystem: b.query<SystemInfo, void>({ query: () => '/api/system', providesTags: ['System'] }),
  }),
});
export const { useGetSystemQuery } = systemApi;
