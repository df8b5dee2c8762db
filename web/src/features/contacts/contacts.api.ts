import { api } from '../../api/api';
import { listenWhileCached } from '../../api/realtime';
import type { BodyOf, Schema } from '../../api/schemas';

// Wire shapes come from the API's schemas (src/api/schemas.ts).
/** A tag; in the tag manager with its count and times. */
export type Tag = Schema<'Tag'> & Partial<Pick<Schema<'TagWithCount'>, 'contactCount' | 'createdAt' | 'updatedAt'>>;
export type Contact = Schema<'Contact'>;
export type WaContact = Schema<'ContactCard'>['whatsapp'][number];
export type Card = Schema<'ContactCard'>;
export type ContactPatch = BodyOf<'/api/contacts/{id}', 'put'>;
export type ContactItem = Schema<'ContactPage'>['items'][number];
export interface ContactFilters {
  q?: string;
  tag?: string;
  favorite?: boolean;
}
export type ImportResult = Schema<'ContactImportResult'>;
export type NewContact = BodyOf<'/api/contacts', 'post'>;
/** 100 a page: a screenful is ~15 rows, and each page is one indexed query. */
const PAGE = 100;

/**
 * Another tab's or person's change to contacts (contact.updated: one contact, or `{bulk, count}` for an
 * import): the lists, and the tag counts after a bulk change, are asked for again — once for a burst of
 * events, however many lists are cached.
 */
type Dispatch = (a: unknown) => unknown;
const pending = new WeakMap<Dispatch, { tags: boolean }>(); // per store: tests build many
function refetchContactsSoon(dispatch: Dispatch, bulk: boolean) {
  const p = pending.get(dispatch);
  if (p) return void (p.tags ||= bulk);
  const next = { tags: bulk };
  pending.set(dispatch, next);
  setTimeout(() => {
    pending.delete(dispatch);
    dispatch(api.util.invalidateTags(next.tags ? ['Contact', 'Tag'] : ['Contact']));
  }, 250);
}

export const contactsApi = api.injectEndpoints({
  endpoints: (b) => ({
    getCard: b.query<Card, string>({
      query: (id) => `/api/contacts/${id}/card`,
      providesTags: (_r, _e, id) => [{ type: 'Contact', id }],
      async onCacheEntryAdded(id, lifecycle) {
        await listenWhileCached(lifecycle, (e) => {
          if (e.type !== 'contact.updated') return;
          if ('bulk' in e.data) refetchContactsSoon(lifecycle.dispatch, true); // an import: it may be among them
          else if (e.data.id === id) lifecycle.dispatch(api.util.invalidateTags([{ type: 'Contact', id }]));
        });
      },
    }),
    /** The CRM contact with this phone number, if any (for chats the server did not link). */
    findByPhone: b.query<Contact | null, string>({
      query: (phone) => ({ url: '/api/contacts', params: { q: phone.replace(/^\+/, ''), limit: 5 } }),
      transformResponse: (r: Schema<'ContactPage'>, _m, phone) => r.items.find((c) => c.phone.replace(/^\+/, '') === phone.replace(/^\+/, '')) ?? null,
      providesTags: ['Contact'],
    }),
    createFromChat: b.mutation<Contact, { chatId: number }>({
      query: ({ chatId }) => ({ url: '/api/contacts', method: 'POST', body: { fromChatId: chatId } }),
      invalidatesTags: ['Contact', 'Chat'],
    }),
    updateContact: b.mutation<Contact, { id: string; patch: ContactPatch }>({
      query: ({ id, patch }) => ({ url: `/api/contacts/${id}`, method: 'PUT', body: patch }),
      invalidatesTags: (_r, _e, a) => [{ type: 'Contact', id: a.id }, 'Chat', 'Favorite'],
    }),
    setContactTags: b.mutation<Contact, { id: string; tagIds: string[] }>({
      query: ({ id, tagIds }) => ({ url: `/api/contacts/${id}/tags`, method: 'PUT', body: { tagIds } }),
      invalidatesTags: (_r, _e, a) => [{ type: 'Contact', id: a.id }, 'Chat', 'Tag'],
    }),
    listContacts: b.infiniteQuery<Schema<'ContactPage'>, ContactFilters, string | null>({
      infiniteQueryOptions: { initialPageParam: null, getNextPageParam: (l) => l.nextCursor ?? undefined },
      query: ({ queryArg, pageParam }) => ({ url: '/api/contacts', params: { q: queryArg.q, tag: queryArg.tag, favorite: queryArg.favorite, limit: PAGE, cursor: pageParam } }),
      providesTags: ['Contact'],
      async onCacheEntryAdded(_f, lifecycle) {
        await listenWhileCached(lifecycle, (e) => {
          if (e.type === 'contact.updated') refetchContactsSoon(lifecycle.dispatch, 'bulk' in e.data);
        });
      },
    }),
    createContact: b.mutation<Contact, NewContact>({
      query: (body) => ({ url: '/api/contacts', method: 'POST', body }),
      invalidatesTags: ['Contact', 'Chat', 'Tag'],
    }),
    deleteContact: b.mutation<null, string>({
      query: (id) => ({ url: `/api/contacts/${id}`, method: 'DELETE' }),
      invalidatesTags: ['Contact', 'Chat', 'Favorite', 'Tag'],
    }),
    /** Pins a contact for the signed-in person; the lists already loaded change in place. */
    setContactFavorite: b.mutation<null, { id: string; on: boolean }>({
      query: ({ id, on }) => ({ url: `/api/favorites/${id}`, method: on ? 'PUT' : 'DELETE', ...(on ? { body: {} } : {}) }),
      invalidatesTags: ['Favorite'],
      async onQueryStarted({ id, on }, { dispatch, getState, queryFulfilled }) {
        const patches = contactsApi.util.selectCachedArgsForQuery(getState(), 'listContacts').map((args) =>
          dispatch(
            contactsApi.util.updateQueryData('listContacts', args, (d) => {
              for (const p of d.pages) for (const c of p.items) if (c.id === id) c.favorite = on;
            }),
          ),
        );
        await queryFulfilled.catch(() => patches.forEach((p) => p.undo()));
      },
    }),
    importContacts: b.mutation<ImportResult, { file: File; dryRun: boolean }>({
      query: ({ file, dryRun }) => {
        const form = new FormData();
        form.append('file', file);
        return { url: '/api/contacts/import', method: 'POST', params: { dryRun: dryRun || undefined }, body: form };
      },
      invalidatesTags: (r) => (r && !r.dryRun ? ['Contact', 'Tag', 'Chat'] : []),
    }),
    updateTag: b.mutation<Schema<'TagWithCount'>, { id: string; name?: string; color?: string }>({
      query: ({ id, ...body }) => ({ url: `/api/tags/${id}`, method: 'PUT', body }),
      invalidatesTags: ['Tag', 'Contact', 'Chat'],
    }),
    deleteTag: b.mutation<null, string>({
      query: (id) => ({ url: `/api/tags/${id}`, method: 'DELETE' }),
      invalidatesTags: ['Tag', 'Contact', 'Chat'],
    }),
    listTags: b.query<Tag[], void>({
      query: () => '/api/tags',
      transformResponse: (r: Schema<'TagList'>) => r.items,
      providesTags: ['Tag'],
    }),
    createTag: b.mutation<Schema<'TagWithCount'>, { name: string; color?: string }>({
      query: (body) => ({ url: '/api/tags', method: 'POST', body }),
      invalidatesTags: ['Tag'],
    }),
  }),
});

export const {
  useListContactsInfiniteQuery,
  useCreateContactMutation,
  useDeleteContactMutation,
  useSetContactFavoriteMutation,
  useImportContactsMutation,
  useUpdateTagMutation,
  useDeleteTagMutation,
} = contactsApi;
export const { useGetCardQuery, useFindByPhoneQuery, useCreateFromChatMutation, useUpdateContactMutation, useSetContactTagsMutation, useListTagsQuery, useCreateTagMutation } = contactsApi;
