import { api } from '../../api/api';

export interface SearchHit {
  messageId: number;
  chatId: number;
  chatName: string;
  sentAt: string | null;
  direction: 'in' | 'out' | null;
  senderName: string | null;
  /** The device (number) the message was sent or received on. */
  deviceId: string | null;
  snippet: string;
}

type Raw = Record<string, unknown> & {
  id?: number;
  messageId?: number;
  chatId?: number;
  message?: { id: number; chatId?: number; deviceId?: string; sentAt?: string; direction?: 'in' | 'out'; senderName?: string | null; body?: string | null };
  chat?: { id: number; name?: string | null; jid?: string };
  snippet?: string;
  headline?: string;
  body?: string;
  sentAt?: string;
  direction?: 'in' | 'out';
  senderName?: string | null;
};

/** Tolerates the hit wrapped ({message, chat, snippet}) or flat ({id, chatId, snippet, …}). */
export function normalizeHit(r: Raw): SearchHit {
  const m = r.message;
  const chatId = Number(r.chat?.id ?? r.chatId ?? m?.chatId);
  const jid = r.chat?.jid;
  return {
    messageId: Number(m?.id ?? r.messageId ?? r.id),
    chatId,
    chatName: r.chat?.name ?? (jid ? `+${jid.split('@')[0]}` : `Chat ${chatId}`),
    sentAt: m?.sentAt ?? r.sentAt ?? null,
    direction: m?.direction ?? r.direction ?? null,
    senderName: m?.senderName ?? r.senderName ?? null,
    deviceId: m?.deviceId ?? null,
    snippet: r.snippet ?? r.headline ?? m?.body ?? r.body ?? '',
  };
}

/**
 * Splits a snippet into plain and highlighted parts. The server marks matches with <mark>, <b> or
 * «»; everything else is text (never parsed as HTML).
 */
export function highlightParts(snippet: string): { text: string; hit: boolean }[] {
  const re = /<mark>(.*?)<\/mark>|<b>(.*?)<\/b>|«(.*?)»|\[\[(.*?)\]\]/gs;
  const out: { text: string; hit: boolean }[] = [];
  let last = 0;
  for (const m of snippet.matchAll(re)) {
    if (m.index! > last) out.push({ text: snippet.slice(last, m.index), hit: false });
    out.push({ text: m[1] ?? m[2] ?? m[3] ?? m[4] ?? '', hit: true });
    last = m.index! + m[0].length;
  }
  if (last < snippet.length) out.push({ text: snippet.slice(last), hit: false });
  return out;
}

export const searchApi = api.injectEndpoints({
  endpoints: (b) => ({
    searchMessages: b.query<{ items: SearchHit[]; nextCursor: string | null }, string>({
      query: (q) => ({ url: '/api/search', params: { q, limit: 50 } }),
      transformResponse: (r: { items: Raw[]; nextCursor?: string | null }) => ({ items: r.items.map(normalizeHit), nextCursor: r.nextCursor ?? null }),
    }),
    /** Device names, to say which number sent a message (the phone's owner may have written it, not the reader). */
    getSearchDevices: b.query<{ id: string; name: string; access?: string }[], void>({
      query: () => '/api/devices',
      transformResponse: (r: { items: { id: string; name: string; access?: string }[] }) => r.items.map(({ id, name, access }) => ({ id, name, access })),
      providesTags: ['Device'],
    }),
  }),
});
export const { useSearchMessagesQuery, useGetSearchDevicesQuery } = searchApi;
