import { api } from '../../api/api';
import type { Schema } from '../../api/schemas';

/** "Add to contacts" from a contact card in a chat: the CRM's own endpoint (POST /api/contacts). */
export const contactCardApi = api.injectEndpoints({
  endpoints: (b) => ({
    addContactFromCard: b.mutation<Schema<'Contact'>, { name: string; phone: string }>({
      query: (body) => ({ url: '/api/contacts', method: 'POST', body }),
      invalidatesTags: ['Contact'],
    }),
  }),
});

export const { useAddContactFromCardMutation } = contactCardApi;
