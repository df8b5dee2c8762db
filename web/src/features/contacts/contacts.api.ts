import { api } from '../../api/api';
import { listenWhileCached } from '../../api/realtime';

export interface Tag {
  id: string;
  name: string;
  color: string;
  contactCount?: number;
}
export interface Contact {
  id: string;
  name: string;
  phone: string;
  email: string | null;
  company: string | null;
  notes: string | null;
  tags: Tag[];
  createdAt?: string;
  updatedAt?: string;
}
export interface WaContact {
  id: number;
  deviceId: string;
  deviceName?: string;
  jid: string;
  phone: string | null;
  pushName: string | null;
  fullName: string | null;
  businessName: string | null;
}
export interface Card {
  contact: Contact;
  whatsapp: WaContact[];
  chats: {
    id: number;
    deviceId: string;
    deviceName: string;
    jid: string;
    name: string | null;
    unreadCount: number;
    lastMessageAt: string | null;
    lastMessage?: { direction: 'in' | 'out'; type: string; body: string | null } | null;
  }[];
}
export type ContactPatch = Partial<Pick<Contact, 'name' | 'phone' | 'email' | 'company' | 'notes'>>;
export type ContactItem = Contact & { favorite: boolean };
export interface ContactFilters {
  q?: string;
  tag?: string;
  favorite?: boolean;
}
interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
export interface ImportResult {
  mode: string;
  dryRun: boolean;
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  invalid: number;
  errors: { line: number; field: string | null; message: string }[];
  errorsTruncated: boolean;
  mapping: Record<string, string>;
  preview: { line: number; action: 'insert' | 'update' | 'unchanged'; name: string | null; phone: string; email: string | null; company: string | null; tags: string[] }[];
}
export type NewContact = Pick<Contact, 'name' | 'phone'> & Partial<Pick<Contact, 'email' | 'company' | 'notes'>> & { tagIds?: string[] };
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
          const c = e.data as Partial<Contact> & { contactId?: string; bulk?: boolean };
          if (e.type !== 'contact.updated') return;
          if (c.bulk) refetchContactsSoon(lifecycle.dispatch, true); // an import: it may be among them
          else if ((c.id ?? c.contactId) === id) lifecycle.dispatch(api.util.invalidateTags([{ type: 'Contact', id }]));
        });
      },
    }),
    /** The CRM contact with this phone number, if any (for chats the server did not link). */
    findByPhone: b.query<Contact | null, string>({
      query: (phone) => ({ url: '/api/contacts', params: { q: phone.replace(/^\+/, ''), limit: 5 } }),
      transformResponse: (r: { items: Contact[] }, _m, phone) => r.items.find((c) => c.phone.replace(/^\+/, '') === phone.replace(/^\+/, '')) ?? null,
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
    listContacts: b.infiniteQuery<Page<ContactItem>, ContactFilters, string | null>({
      infiniteQueryOptions: { initialPageParam: null, getNextPageParam: (l) => l.nextCursor ?? undefined },
      query: ({ queryArg, pageParam }) => ({ url: '/api/contacts', params: { q: queryArg.q, tag: queryArg.tag, favorite: queryArg.favorite, limit: PAGE, cursor: pageParam } }),
      providesTags: ['Contact'],
      async onCacheEntryAdded(_f, lifecycle) {
        await listenWhileCached(lifecycle, (e) => {
          if (e.type === 'contact.updated') refetchContactsSoon(lifecycle.dispatch, !!(e.data as { bulk?: boolean }).bulk);
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
    updateTag: b.mutation<Tag, { id: string; name?: string; color?: string }>({
      query: ({ id, ...body }) => ({ url: `/api/tags/${id}`, method: 'PUT', body }),
      invalidatesTags: ['Tag', 'Contact', 'Chat'],
    }),
    deleteTag: b.mutation<null, string>({
      query: (id) => ({ url: `/api/tags/${id}`, method: 'DELETE' }),
      invalidatesTags: ['Tag', 'Contact', 'Chat'],
    }),
    listTags: b.query<Tag[], void>({
      query: () => '/api/tags',
      transformResponse: (r: { items: Tag[] }) => r.items,
      providesTags: ['Tag'],
    }),
    createTag: b.mutation<Tag, { name: string; color?: string }>({
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
