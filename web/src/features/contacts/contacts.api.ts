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
  chats: { id: number; deviceId: string; deviceName: string; jid: string; name: string | null; unreadCount: number; lastMessageAt: string | null }[];
}
export type ContactPatch = Partial<Pick<Contact, 'name' | 'phone' | 'email' | 'company' | 'notes'>>;

export const contactsApi = api.injectEndpoints({
  endpoints: (b) => ({
    getCard: b.query<Card, string>({
      query: (id) => `/api/contacts/${id}/card`,
      providesTags: (_r, _e, id) => [{ type: 'Contact', id }],
      async onCacheEntryAdded(id, lifecycle) {
        await listenWhileCached(lifecycle, (e) => {
          const c = e.data as Partial<Contact> & { contactId?: string };
          if (e.type === 'contact.updated' && (c.id ?? c.contactId) === id) lifecycle.dispatch(api.util.invalidateTags([{ type: 'Contact', id }]));
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

export const { useGetCardQuery, useFindByPhoneQuery, useCreateFromChatMutation, useUpdateContactMutation, useSetContactTagsMutation, useListTagsQuery, useCreateTagMutation } = contactsApi;
