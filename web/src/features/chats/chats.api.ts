import { api } from '../../api/api';
import { listenWhileCached } from '../../api/realtime';
import { applyChatUpdate, patchMessage, removeMessage, setChatRead, upsertMessage } from './chat-cache';
import type { Schema } from '../../api/schemas';
import type { Chat, ChatDevice, ChatFilters, Message, MessagesArg, Page } from './chat.types';

export const CHAT_PAGE = 50;
export const MESSAGE_PAGE = 50;

export type Share = Schema<'Share'>;
export type Colleague = Schema<'UserDirectory'>['items'][number];
export interface SendArgs {
  chatId: number;
  clientId: string;
  text: string;
  replyTo?: number;
  file?: File;
}

const msgStub = (a: SendArgs, deviceId: string): Message => ({
  id: -Date.now(),
  chatId: a.chatId,
  deviceId,
  engineMessageId: null,
  clientId: a.clientId,
  direction: 'out',
  from: null,
  senderName: null,
  kind: 'message',
  type: a.file ? (a.file.type.startsWith('image/') ? 'image' : 'document') : 'text',
  body: a.text || null,
  content: null,
  media: a.file ? { mimetype: a.file.type || null, filename: a.file.name, size: a.file.size, mediaId: null } : null,
  // The wire's replyTo is the engine id of the quoted message; the stub knows its local id (below).
  replyTo: null,
  status: 'pending',
  error: null,
  lastError: null,
  nextAttemptAt: null,
  sentAt: new Date().toISOString(),
  editedAt: null,
  revoked: false,
  local: { file: a.file, replyTo: a.replyTo },
});

function sendBody(a: SendArgs) {
  if (!a.file) return { clientId: a.clientId, text: a.text, ...(a.replyTo ? { replyTo: a.replyTo } : {}) };
  const f = new FormData();
  f.set('clientId', a.clientId);
  if (a.text) f.set('text', a.text);
  if (a.replyTo) f.set('replyTo', String(a.replyTo));
  f.set('file', a.file, a.file.name);
  return f;
}

/** Chats shared with the caller, as the lists show chats: read-only, with who shared them. */
function normalizeShared(page: Schema<'SharedWithMePage'>): Chat[] {
  return page.items.map((s) => ({ ...s.chat, access: 'grantee', favorite: false, crm: null, canSend: false, sharedBy: s.sharedBy }));
}

export const chatsApi = api.injectEndpoints({
  endpoints: (b) => ({
    getChats: b.infiniteQuery<Page<Chat>, ChatFilters, string | null>({
      infiniteQueryOptions: { initialPageParam: null, getNextPageParam: (last) => last.nextCursor ?? undefined },
      query: ({ queryArg, pageParam }) => ({ url: '/api/chats', params: { ...queryArg, limit: CHAT_PAGE, cursor: pageParam } }),
      providesTags: ['Chat'],
      async onCacheEntryAdded(filters, lifecycle) {
        await listenWhileCached(lifecycle, (e) => {
          if (e.type === 'chat.updated') {
            let ok = true;
            lifecycle.updateCachedData((d) => {
              ok = applyChatUpdate(d, e.data, filters);
            });
            if (!ok) lifecycle.dispatch(api.util.invalidateTags(['Chat']));
          } else if (e.type === 'contact.updated' || e.type === 'share.created' || e.type === 'share.revoked') {
            // CRM names and tags or the set of visible chats changed: ask again.
            lifecycle.dispatch(api.util.invalidateTags(['Chat', 'Share']));
          }
        });
      },
    }),
    getChat: b.query<Chat, number>({
      query: (id) => `/api/chats/${id}`,
      providesTags: (_r, _e, id) => [{ type: 'Chat', id }],
      async onCacheEntryAdded(id, lifecycle) {
        await listenWhileCached(lifecycle, (e) => {
          if (e.type === 'chat.updated' && e.data.id === id) lifecycle.updateCachedData((c) => ({ ...c, ...e.data }));
        });
      },
    }),
    getSharedWithMe: b.query<Chat[], void>({
      query: () => '/api/shared-with-me',
      transformResponse: normalizeShared,
      providesTags: ['Share'],
      async onCacheEntryAdded(_a, lifecycle) {
        await listenWhileCached(lifecycle, (e) => {
          if (e.type === 'chat.updated')
            lifecycle.updateCachedData((list) => {
              const i = list.findIndex((c) => c.id === e.data.id);
              if (i >= 0) list[i] = { ...list[i]!, ...e.data, access: list[i]!.access, canSend: false };
            });
          if (e.type === 'share.created' || e.type === 'share.revoked') lifecycle.dispatch(api.util.invalidateTags(['Share']));
        });
      },
    }),
    // One entry per slice of a chat: {chatId} holds the newest messages, {chatId, around} a page centred on
    // one message (a search hit) that pages both ways. Pages run newest first, each newest first.
    getMessages: b.infiniteQuery<Page<Message>, MessagesArg, { before?: string; after?: string } | null>({
      infiniteQueryOptions: {
        initialPageParam: null,
        getNextPageParam: (last) => (last.before ?? last.nextCursor ? { before: (last.before ?? last.nextCursor)! } : undefined),
        getPreviousPageParam: (first) => (first.after ? { after: first.after } : undefined),
      },
      query: ({ queryArg, pageParam }) => ({
        url: `/api/chats/${queryArg.chatId}/messages`,
        params: { limit: MESSAGE_PAGE, ...(pageParam ?? (queryArg.around ? { around: queryArg.around } : {})) },
      }),
      keepUnusedDataFor: 120,
      async onCacheEntryAdded(arg, lifecycle) {
        await listenWhileCached(lifecycle, (e) => {
          if (e.type !== 'message.created' && e.type !== 'message.updated') return;
          const m = e.data;
          if (m.chatId !== arg.chatId) return;
          if (e.type === 'message.created') lifecycle.updateCachedData((d) => upsertMessage(d, m));
          else lifecycle.updateCachedData((d) => void (m.deleted ? removeMessage(d, m) : patchMessage(d, m) || upsertMessage(d, m)));
        });
      },
    }),
    sendMessage: b.mutation<Message, SendArgs & { deviceId: string }>({
      query: (a) => ({ url: `/api/chats/${a.chatId}/messages`, method: 'POST', body: sendBody(a) }),
      // Shown at once as pending; the answer (or the socket, whichever is first) replaces it by clientId.
      async onQueryStarted(a, { dispatch, getState, queryFulfilled }) {
        const stub = msgStub(a, a.deviceId);
        updateMessages(dispatch, getState, a.chatId, (d) => upsertMessage(d, stub));
        try {
          const { data } = await queryFulfilled;
          updateMessages(dispatch, getState, a.chatId, (d) => upsertMessage(d, { ...data, local: undefined }));
        } catch (err) {
          const message = (err as { error?: { data?: { message?: string } } })?.error?.data?.message ?? 'Not sent';
          updateMessages(dispatch, getState, a.chatId, (d) => void patchMessage(d, { id: stub.id, clientId: a.clientId, status: 'failed', error: message, lastError: message }));
        }
      },
    }),
    retryMessage: b.mutation<Message, { id: number; chatId: number }>({
      query: ({ id }) => ({ url: `/api/messages/${id}/retry`, method: 'POST' }),
      async onQueryStarted({ id, chatId }, { dispatch, getState, queryFulfilled }) {
        try {
          const { data } = await queryFulfilled;
          updateMessages(dispatch, getState, chatId, (d) => void patchMessage(d, data));
        } catch (err) {
          const message = (err as { error?: { data?: { error?: { message?: string } } } })?.error?.data?.error?.message ?? 'Could not retry';
          updateMessages(dispatch, getState, chatId, (d) => void patchMessage(d, { id, lastError: message }));
        }
      },
    }),
    /** Hides a message for the organization (owner and agents): a failed send the person gives up on. */
    deleteMessage: b.mutation<unknown, { id: number; chatId: number; clientId?: string | null }>({
      queryFn: async (a, _api, _extra, baseQuery) => (a.id > 0 ? baseQuery({ url: `/api/messages/${a.id}`, method: 'DELETE' }) : { data: null }),
      async onQueryStarted(a, { dispatch, getState, queryFulfilled }) {
        await queryFulfilled.catch(() => null);
        updateMessages(dispatch, getState, a.chatId, (d) => removeMessage(d, { id: a.id, clientId: a.clientId ?? null }));
      },
    }),
    markRead: b.mutation<unknown, number>({
      query: (id) => ({ url: `/api/chats/${id}/read`, method: 'POST' }),
      async onQueryStarted(id, { dispatch, getState }) {
        for (const { endpointName, originalArgs } of chatsApi.util.selectInvalidatedBy(getState(), ['Chat'])) {
          if (endpointName === 'getChats') dispatch(chatsApi.util.updateQueryData('getChats', originalArgs as ChatFilters, (d) => setChatRead(d, id)));
        }
      },
    }),
    getShares: b.query<Share[], number>({
      query: (id) => `/api/chats/${id}/shares`,
      transformResponse: (r: Schema<'ShareList'>) => r.items,
      providesTags: (_r, _e, id) => [{ type: 'Share', id }],
    }),
    addShare: b.mutation<unknown, { chatId: number; userId: string }>({
      query: ({ chatId, userId }) => ({ url: `/api/chats/${chatId}/shares`, method: 'POST', body: { userId } }),
      invalidatesTags: (_r, _e, a) => [{ type: 'Share', id: a.chatId }],
    }),
    removeShare: b.mutation<unknown, { chatId: number; userId: string }>({
      query: ({ chatId, userId }) => ({ url: `/api/chats/${chatId}/shares/${userId}`, method: 'DELETE' }),
      invalidatesTags: (_r, _e, a) => [{ type: 'Share', id: a.chatId }],
    }),
    /** Whom a chat may be shared with: the organization's people. */
    getColleagues: b.query<Colleague[], void>({
      query: () => ({ url: '/api/users/directory', params: { limit: 500 } }),
      transformResponse: (r: Schema<'UserDirectory'>) => r.items,
    }),
    getChatDevices: b.query<ChatDevice[], void>({
      query: () => '/api/devices',
      transformResponse: (r: Schema<'DeviceList'>) => r.items.map(({ id, name, status, engineReachable, access }) => ({ id, name, status, engineReachable, access })),
      providesTags: ['Device'],
      async onCacheEntryAdded(_a, lifecycle) {
        await listenWhileCached(lifecycle, (e) => {
          if (e.type !== 'device.status') return;
          const d = e.data;
          lifecycle.updateCachedData((list) => {
            const dev = list.find((x) => x.id === d.deviceId);
            if (!dev) return;
            dev.status = d.status;
            dev.engineReachable = d.engineReachable;
          });
        });
      },
    }),
  }),
});

type Dispatch = (a: unknown) => unknown;
type MessagesDraft = Parameters<typeof upsertMessage>[0];

/** Applies `fn` to every cached slice of a chat's messages (the newest, and any around a message). */
function updateMessages(dispatch: Dispatch, getState: () => unknown, chatId: number, fn: (d: MessagesDraft) => void) {
  const args = chatsApi.util.selectCachedArgsForQuery(getState() as never, 'getMessages') as MessagesArg[];
  const mine = args.filter((a) => a.chatId === chatId);
  for (const a of mine.length ? mine : [{ chatId }]) dispatch(chatsApi.util.updateQueryData('getMessages', a, fn));
}

export const {
  useGetChatsInfiniteQuery,
  useGetChatQuery,
  useGetSharedWithMeQuery,
  useGetMessagesInfiniteQuery,
  useSendMessageMutation,
  useRetryMessageMutation,
  useDeleteMessageMutation,
  useMarkReadMutation,
  useGetSharesQuery,
  useAddShareMutation,
  useRemoveShareMutation,
  useGetColleaguesQuery,
  useGetChatDevicesQuery,
} = chatsApi;
