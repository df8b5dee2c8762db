import { createApi } from '@reduxjs/toolkit/query/react';
import { httpBaseQuery } from './http';

/** The one API of the app; each feature injects its endpoints, the socket keeps their cache live. */
export const api = createApi({
  reducerPath: 'api',
  baseQuery: httpBaseQuery,
  tagTypes: ['Chat', 'Message', 'Share', 'Device', 'Member', 'Sync', 'Contact', 'Tag', 'Favorite', 'User', 'Audit', 'System'],
  endpoints: () => ({}),
});
