import { api } from '../../api/api';
import type { Schema } from '../../api/schemas';

/** One hit as the results list shows it (flattened from the API's {message, chat, snippet}). */
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

type Hit = Schema<'SearchPage'>['items'][number];

/** A hit as the results list shows it (the view's own flat shape). */
export function normalizeHit(r: Hit): SearchHit {
  const m = r.message;
  return {
    messageId: m.id,
    chatId: r.chat.id,
    chatName: r.chat.name ?? `+${r.chat.jid.split('@')[0]}`,
    sentAt: m.sentAt,
    direction: m.direction,
    senderName: m.senderName,
    deviceId: m.deviceId ?? null,
    snippet: r.snippet,
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
      transformResponse: (r: Schema<'SearchPage'>) => ({ items: r.items.map(normalizeHit), nextCursor: r.nextCursor }),
    }),
    /** Device names, to say which number sent a message (the phone's owner may have written it, not the reader). */
    getSearchDevices: b.query<{ id: string; name: string; access?: string }[], void>({
      query: () => '/api/devices',
      transformResponse: (r: Schema<'DeviceList'>) => r.items.map(({ id, name, access }) => ({ id, name, access })),
      providesTags: ['Device'],
    }),
  }),
});
export const { useSearchMessagesQuery, useGetSearchDevicesQuery } = searchApi;
