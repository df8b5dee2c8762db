import { api } from './api';
import type { Schema } from './schemas';

/**
 * Starting a chat with a phone number, shared by the chat list ("Search or start a chat") and the
 * contact card ("Message"), which live in features that never import each other.
 */
export type SendDevice = Pick<Schema<'Device'>, 'id' | 'name' | 'phone' | 'status' | 'access'>;

export const startChatApi = api.injectEndpoints({
  endpoints: (b) => ({
    /** Starts (or finds) the chat with a phone number on a device one sends from: 201 new, 200 existing. */
    startChat: b.mutation<Schema<'Chat'>, { deviceId: string; phone: string }>({
      query: (body) => ({ url: '/api/chats', method: 'POST', body }),
    }),
    /** The devices the signed-in person may send from (owner or agent), in the API's order. */
    getSendDevices: b.query<SendDevice[], void>({
      query: () => '/api/devices',
      transformResponse: (r: { items: Schema<'Device'>[] }) =>
        r.items.filter((d) => d.access === 'owner' || d.access === 'agent').map(({ id, name, phone, status, access }) => ({ id, name, phone, status, access })),
      providesTags: ['Device'],
    }),
  }),
});

export const { useStartChatMutation, useGetSendDevicesQuery } = startChatApi;
