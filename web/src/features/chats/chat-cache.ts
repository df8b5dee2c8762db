/**
 * Pure updates of the cached pages, applied to RTK Query drafts when events arrive or a send is
 * optimistic. Messages are newest first (as the API pages them); chats by last activity.
 */
import type { Chat, ChatFilters, ChatSummary, Message, Page } from './chat.types';

interface Pages<T> {
  pages: Page<T>[];
  pageParams: unknown[];
}

const time = (iso: string | null | undefined) => (iso ? Date.parse(iso) : 0);

function findMessage(data: Pages<Message>, m: Pick<Message, 'id' | 'clientId'>): [number, number] | null {
  for (let p = 0; p < data.pages.length; p++) {
    const i = data.pages[p]!.items.findIndex((x) => x.id === m.id || (m.clientId && x.clientId === m.clientId));
    if (i >= 0) return [p, i];
  }
  return null;
}

/** Insert or replace (by id, or by clientId for our own optimistic copy). Older than what is loaded: left for paging. */
export function upsertMessage(data: Pages<Message>, m: Message): void {
  const at = findMessage(data, m);
  if (at) {
    const old = data.pages[at[0]]!.items[at[1]]!;
    // Never step back: a late "sent" must not undo a "read" that arrived first.
    const merged = { ...old, ...m, local: m.local ?? (old.id < 0 ? old.local : undefined) };
    if (rank(old.status) > rank(m.status) && m.status !== 'failed') keepState(merged, old);
    data.pages[at[0]]!.items[at[1]] = merged;
    return;
  }
  if (!data.pages.length) data.pages.push({ items: [], nextCursor: null });
  const t = time(m.sentAt);
  // A slice that does not reach the newest message (opened around a search hit) keeps newer ones out:
  // they belong to pages not loaded yet, and appear when the person pages or jumps there.
  const head = data.pages[0]!;
  if (head.after && (!head.items.length || t >= time(head.items[0]!.sentAt))) return;
  for (let p = 0; p < data.pages.length; p++) {
    const items = data.pages[p]!.items;
    const last = items[items.length - 1];
    const isLastLoaded = p === data.pages.length - 1;
    if (!last || t >= time(last.sentAt) || (isLastLoaded && !data.pages[p]!.nextCursor)) {
      let i = 0;
      while (i < items.length && (time(items[i]!.sentAt) > t || (time(items[i]!.sentAt) === t && items[i]!.id > m.id && m.id > 0))) i++;
      items.splice(i, 0, m);
      return;
    }
  }
}

/** Takes a message out (hidden for the org, or a failed send the person deleted). */
export function removeMessage(data: Pages<Message>, m: Pick<Message, 'id' | 'clientId'>): void {
  const at = findMessage(data, m);
  if (at) data.pages[at[0]]!.items.splice(at[1], 1);
}

/** Applies a message.updated event: only what it carries changes. */
export function patchMessage(data: Pages<Message>, m: Partial<Message> & Pick<Message, 'id'>): boolean {
  const at = findMessage(data, { id: m.id, clientId: m.clientId ?? null });
  if (!at) return false;
  const old = data.pages[at[0]]!.items[at[1]]!;
  const next = { ...old, ...m };
  if (m.status && rank(old.status) > rank(m.status) && m.status !== 'failed') keepState(next, old);
  data.pages[at[0]]!.items[at[1]] = next;
  return true;
}

/** A late, older state (the send's answer after its first failure's event) keeps the newer one and its reason. */
function keepState(next: Message, old: Message) {
  next.status = old.status;
  next.error = old.error;
  next.lastError = old.lastError;
  next.nextAttemptAt = old.nextAttemptAt;
}

const ORDER = ['failed', 'pending', 'retrying', 'received', 'sent', 'delivered', 'read', 'played'];
const rank = (s: string) => ORDER.indexOf(s);

export function matchesFilters(c: Chat, f: ChatFilters): boolean {
  if (f.deviceId && c.deviceId !== f.deviceId) return false;
  if (f.unread && c.unreadCount <= 0) return false;
  return true;
}

/**
 * A chat changed: it moves to its place by last activity. Lists filtered by search or favorites only
 * update chats they already show (the server decides membership); returns false when the list
 * should be refetched instead.
 */
export function applyChatUpdate(data: Pages<Chat>, chat: Chat | ChatSummary, f: ChatFilters): boolean {
  let old: Chat | undefined;
  for (const p of data.pages) {
    const i = p.items.findIndex((x) => x.id === chat.id);
    if (i >= 0) {
      old = p.items[i];
      p.items.splice(i, 1);
      break;
    }
  }
  const merged: Chat = { ...(old ?? {}), ...chat } as Chat;
  if (!old && (f.q || f.favorite)) return true;
  if (!matchesFilters(merged, f)) return true;
  if (!data.pages.length) data.pages.push({ items: [], nextCursor: null });
  const t = time(merged.lastMessageAt);
  const first = data.pages[0]!.items;
  let i = 0;
  while (i < first.length && time(first[i]!.lastMessageAt) > t) i++;
  if (i === first.length && data.pages[0]!.nextCursor && data.pages.length === 1 && old === undefined) return true; // belongs further down
  first.splice(i, 0, merged);
  // Events carry the chat without its CRM badge: a chat new to the list is shown at once, then fetched whole.
  return old !== undefined || 'crm' in chat;
}

export function setChatRead(data: Pages<Chat>, chatId: number) {
  for (const p of data.pages) for (const c of p.items) if (c.id === chatId) c.unreadCount = 0;
}
