import { api } from './api';
import { listenWhileCached } from './realtime';

/** Pins are read by the chat list and changed from the contact card, so they live with the shared API. */
export interface Favorite {
  type: 'contact' | 'chat';
  position: number;
  contact: { id: string; name: string; phone: string } | null;
  chat: { id: number; deviceId: string; jid: string; name: string | null } | null;
  pinnedAt: string;
}

export const favoritesApi = api.injectEndpoints({
  endpoints: (b) => ({
    getFavorites: b.query<{ items: Favorite[] }, void>({
      query: () => '/api/favorites',
      providesTags: ['Favorite'],
      async onCacheEntryAdded(_arg, lifecycle) {
        // A renamed contact renames its pin.
        await listenWhileCached(lifecycle, (e) => {
          if (e.type !== 'contact.updated') return;
          const c = e.data as { id?: string; name?: string };
          lifecycle.updateCachedData((d) => {
            for (const f of d.items) if (f.contact && f.contact.id === c.id && c.name) f.contact.name = c.name;
          });
        });
      },
    }),
    pinContact: b.mutation<{ items: Favorite[] }, string>({
      query: (contactId) => ({ url: `/api/favorites/${contactId}`, method: 'PUT', body: {} }),
      invalidatesTags: ['Favorite'],
    }),
    unpinContact: b.mutation<null, string>({
      query: (contactId) => ({ url: `/api/favorites/${contactId}`, method: 'DELETE' }),
      invalidatesTags: ['Favorite'],
    }),
    pinChat: b.mutation<{ items: Favorite[] }, number>({
      query: (chatId) => ({ url: `/api/favorites/chats/${chatId}`, method: 'PUT', body: {} }),
      invalidatesTags: ['Favorite'],
    }),
    unpinChat: b.mutation<null, number>({
      query: (chatId) => ({ url: `/api/favorites/chats/${chatId}`, method: 'DELETE' }),
      invalidatesTags: ['Favorite'],
    }),
  }),
});
export const { useGetFavoritesQuery, usePinContactMutation, useUnpinContactMutation, usePinChatMutation, useUnpinChatMutation } = favoritesApi;
