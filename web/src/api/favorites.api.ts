import { api } from './api';
import { listenWhileCached } from './realtime';
import type { Schema } from './schemas';

/** Pins are read by the chat list and changed from the contact card, so they live with the shared API. */
export type Favorite = Schema<'Favorite'>;

export const favoritesApi = api.injectEndpoints({
  endpoints: (b) => ({
    getFavorites: b.query<Schema<'FavoriteList'>, void>({
      query: () => '/api/favorites',
      providesTags: ['Favorite'],
      async onCacheEntryAdded(_arg, lifecycle) {
        // A renamed contact renames its pin; an import (many at once, unnamed) refetches the pins.
        await listenWhileCached(lifecycle, (e) => {
          if (e.type !== 'contact.updated') return;
          const c = e.data;
          if ('bulk' in c) return void lifecycle.dispatch(api.util.invalidateTags(['Favorite']));
          lifecycle.updateCachedData((d) => {
            for (const f of d.items) if (f.contact && f.contact.id === c.id && !c.deleted) f.contact.name = c.name;
          });
        });
      },
    }),
    pinContact: b.mutation<Schema<'FavoriteList'>, string>({
      query: (contactId) => ({ url: `/api/favorites/${contactId}`, method: 'PUT', body: {} }),
      invalidatesTags: ['Favorite'],
    }),
    unpinContact: b.mutation<null, string>({
      query: (contactId) => ({ url: `/api/favorites/${contactId}`, method: 'DELETE' }),
      invalidatesTags: ['Favorite'],
    }),
    pinChat: b.mutation<Schema<'FavoriteList'>, number>({
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
