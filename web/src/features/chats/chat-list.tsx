import { memo, useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { useDispatch } from 'react-redux';
import type { ThunkDispatch, UnknownAction } from '@reduxjs/toolkit';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useGetFavoritesQuery } from '../../api/favorites.api';
import { errorMessage } from '../../api/http';
import { useSession } from '../../api/session';
import { Avatar } from '../../shared/avatar';
import { listTime } from '../../shared/format';
import { SearchIcon, StarIcon } from '../../shared/icons';
import { chatTags, chatTitle, type Chat, type ChatFilters } from './chat.types';
import { chatsApi, useGetChatDevicesQuery, useGetChatsInfiniteQuery, useGetSharedWithMeQuery } from './chats.api';
import { useStartChatMutation } from '../../api/start-chat.api';
import { notificationsSupported, notifyPref, onNotifyPrefChange, setNotify, startNotifications } from './notify';

/** How long (ms) the mouse rests on a chat's row before its messages are asked for. */
const HOVER_MS = 150;

/** Text that reads as a phone number (digits, spaces, + - . ( )), with enough digits to be one. */
const looksLikePhone = (s: string) => /^\+?[\d\s().-]+$/.test(s) && s.replace(/\D/g, '').length >= 6;

/** "Search or start a chat": a number typed there starts a chat on a device the person sends from. */
function StartChat({ phone, onOpen }: { phone: string; onOpen(c: Chat): void }) {
  const { data: devices } = useGetChatDevicesQuery();
  const mine = (devices ?? []).filter((d) => d.access === 'owner' || d.access === 'agent');
  const [deviceId, setDeviceId] = useState('');
  const [start, { isLoading, error, reset }] = useStartChatMutation();
  useEffect(() => reset(), [phone, reset]);
  if (!mine.length) return null;
  const chosen = deviceId || mine[0]!.id;
  return (
    <form
      className="start-chat"
      data-testid="start-chat"
      onSubmit={async (e) => {
        e.preventDefault();
        const r = await start({ deviceId: chosen, phone });
        if ('data' in r && r.data) onOpen(r.data);
      }}
    >
      <div className="start-chat-row">
        <button type="submit" className="primary" disabled={isLoading}>
          {isLoading ? 'Checking…' : `Start a chat with ${phone}`}
        </button>
        {mine.length > 1 && (
          <>
            <label htmlFor="start-device" className="sr-only">
              From device
            </label>
            <select id="start-device" value={chosen} onChange={(e) => setDeviceId(e.target.value)}>
              {mine.map((d) => (
                <option key={d.id} value={d.id}>
                  from {d.name}
                </option>
              ))}
            </select>
          </>
        )}
      </div>
      {error && (
        <p className="error" role="alert">
          {errorMessage(error)}
        </p>
      )}
    </form>
  );
}

/** The unread total in the tab's title, like WhatsApp Web: "(3) Team WhatsApp". */
function useUnreadTitle(total: number) {
  useEffect(() => {
    const base = document.title.replace(/^\(\d+\+?\) /, '');
    document.title = total > 0 ? `(${total > 999 ? '999+' : total}) ${base}` : base;
  }, [total]);
  useEffect(() => () => void (document.title = document.title.replace(/^\(\d+\+?\) /, '')), []);
}

type ListRow = { kind: 'head'; key: string; label: string } | { kind: 'chat'; key: string; chat: Chat; section: 'fav' | 'shared' | 'all' } | { kind: 'more'; key: string };

interface Props {
  selectedId: number | null;
  onOpen(chat: Chat): void;
  initialRect?: { width: number; height: number };
}

type Filter = 'all' | 'unread' | 'favorites' | 'shared';

// Memoized with stable handlers: opening a chat redraws the two rows whose selection changed, not the list.
const ChatRow = memo(function ChatRow({ chat, index, section, selected, tabIndex, onOpen, onPress, onHover, onKeyDown }: { chat: Chat; index: number; section: string; selected: boolean; tabIndex: number; onOpen(c: Chat, index: number): void; onPress(id: number): void; onHover(id: number | null): void; onKeyDown(e: KeyboardEvent): void }) {
  const title = chatTitle(chat);
  const tags = chatTags(chat);
  return (
    <button
      type="button"
      className={`chat-row${selected ? ' selected' : ''}`}
      aria-current={selected ? 'true' : undefined}
      tabIndex={tabIndex}
      onClick={() => onOpen(chat, index)}
      onPointerDown={(e) => e.button === 0 && onPress(chat.id)}
      onPointerEnter={(e) => e.pointerType === 'mouse' && onHover(chat.id)}
      onPointerLeave={() => onHover(null)}
      onKeyDown={onKeyDown}
      data-testid="chat-row"
      data-chat-id={chat.id}
      data-section={section}
      aria-label={`${title}${chat.unreadCount ? `, ${chat.unreadCount} unread` : ''}`}
    >
      <Avatar name={title} size={46} />
      <span className="chat-row-main">
        <span className="chat-row-top">
          <span className="chat-name">{title}</span>
          <time className={chat.unreadCount ? 'unread-time' : ''} dateTime={chat.lastMessageAt ?? undefined}>
            {listTime(chat.lastMessageAt)}
          </time>
        </span>
        <span className="chat-row-bottom">
          <span className="preview">{chat.lastMessagePreview ?? ''}</span>
          {tags.slice(0, 2).map((t) => (
            <span key={t.id} className="tag-dot" style={{ background: t.color }} title={t.name} aria-label={`tag ${t.name}`} />
          ))}
          {chat.unreadCount > 0 && (
            <span className="unread" data-testid="unread-badge">
              {chat.unreadCount > 999 ? '999+' : chat.unreadCount}
            </span>
          )}
        </span>
      </span>
    </button>
  );
});

export function ChatList({ selectedId, onOpen, initialRect }: Props) {
  // Viewers cannot link a device: they see chats once a colleague adds them to one.
  const noChatsYet = useSession()?.user.role === 'viewer' ? 'No chats yet. You see chats once a colleague adds you to one of their devices or shares a chat with you.' : 'No chats yet. Link a device to bring its chats.';
  const [search, setSearch] = useState('');
  const [q, setQ] = useState('');
  const [filter, setFilter] = useState<Filter>('all');
  const [deviceId, setDeviceId] = useState('');
  useEffect(() => {
    const t = setTimeout(() => setQ(search.trim()), 250);
    return () => clearTimeout(t);
  }, [search]);

  const filters: ChatFilters = useMemo(() => ({ ...(q ? { q } : {}), ...(deviceId ? { deviceId } : {}), ...(filter === 'unread' ? { unread: true } : {}), ...(filter === 'favorites' ? { favorite: true } : {}) }), [q, deviceId, filter]);
  // Events keep a list current only while it is on screen: coming back asks again.
  const main = useGetChatsInfiniteQuery(filters, { skip: filter === 'shared', refetchOnMountOrArgChange: true });
  const favs = useGetChatsInfiniteQuery({ favorite: true, ...(deviceId ? { deviceId } : {}) }, { skip: filter !== 'all' || !!q, refetchOnMountOrArgChange: true });
  // Pinning elsewhere (the contact card) refreshes the favorites section.
  const { data: pins } = useGetFavoritesQuery();
  useEffect(() => {
    if (pins) void favs.refetch?.();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pins]);
  const shared = useGetSharedWithMeQuery(undefined, { refetchOnMountOrArgChange: true });
  const { data: devices } = useGetChatDevicesQuery();
  // A chat's newest messages are asked for on the press, not after the click has routed and the
  // conversation mounted: the request runs while the app draws (the conversation's own query then
  // finds it in flight or done; a cached, live-kept slice is not asked again here).
  const dispatch = useDispatch<ThunkDispatch<unknown, unknown, UnknownAction>>();
  const prefetch = useCallback((id: number) => void dispatch(chatsApi.endpoints.getMessages.initiate({ chatId: id }, { subscribe: false })), [dispatch]);
  const open = useCallback((c: Chat) => (prefetch(c.id), onOpen(c)), [prefetch, onOpen]);
  // A mouse resting on a row is about to click it: ask then (a pointer passing over rows asks nothing).
  const hoverTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const onHover = useCallback(
    (id: number | null) => {
      clearTimeout(hoverTimer.current);
      if (id !== null) hoverTimer.current = setTimeout(() => prefetch(id), HOVER_MS);
    },
    [prefetch],
  );
  useEffect(() => () => clearTimeout(hoverTimer.current), []);

  // Chats by id, for notifications to name the chat.
  const names = useRef(new Map<number, string>());
  useEffect(() => {
    for (const c of [...(main.data?.pages.flatMap((p) => p.items) ?? []), ...(shared.data ?? [])]) names.current.set(c.id, chatTitle(c));
  }, [main.data, shared.data]);
  useEffect(() => startNotifications((id) => names.current.get(id) ?? null), []);
  const [notify, setNotifyState] = useState(notifyPref);
  useEffect(() => onNotifyPrefChange(() => setNotifyState(notifyPref())), []);
  const unreadTotal = useMemo(() => {
    const seen = new Set<number>();
    let n = 0;
    for (const c of [...(main.data?.pages.flatMap((p) => p.items) ?? []), ...(shared.data ?? [])]) if (!seen.has(c.id)) (seen.add(c.id), (n += c.unreadCount));
    return n;
  }, [main.data, shared.data]);
  useUnreadTitle(unreadTotal);
  // A chat started by number but still empty stays out of the list (open, it is still shown).
  const shown = (c: Chat) => c.lastMessageAt !== null || c.lastMessagePreview !== null || c.id === selectedId;

  const rows = useMemo<ListRow[]>(() => {
    const out: ListRow[] = [];
    const favChats = favs.data?.pages.flatMap((p) => p.items) ?? [];
    const sharedChats = (shared.data ?? []).filter((c) => !q || chatTitle(c).toLowerCase().includes(q.toLowerCase()));
    if (filter === 'all' && !q && favChats.length) {
      out.push({ kind: 'head', key: 'h:fav', label: 'Favorites' });
      for (const c of favChats) out.push({ kind: 'chat', key: `f:${c.id}`, chat: c, section: 'fav' });
    }
    if ((filter === 'all' || filter === 'shared') && sharedChats.length) {
      out.push({ kind: 'head', key: 'h:shared', label: 'Shared with me' });
      for (const c of sharedChats) out.push({ kind: 'chat', key: `s:${c.id}`, chat: c, section: 'shared' });
    }
    if (filter !== 'shared') {
      const all = main.data?.pages.flatMap((p) => p.items) ?? [];
      const sharedIds = new Set(sharedChats.map((c) => c.id));
      const favIds = new Set(favChats.map((c) => c.id));
      const rest = all.filter((c) => shown(c) && !sharedIds.has(c.id) && !(filter === 'all' && !q && favIds.has(c.id)));
      if (out.length && rest.length) out.push({ kind: 'head', key: 'h:all', label: 'Chats' });
      for (const c of rest) out.push({ kind: 'chat', key: `a:${c.id}`, chat: c, section: 'all' });
      if (main.hasNextPage) out.push({ kind: 'more', key: 'more' });
    }
    return out;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [main.data, main.hasNextPage, favs.data, shared.data, filter, q, selectedId]);

  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: (i) => (rows[i]?.kind === 'head' ? 34 : 72),
    getItemKey: (i) => rows[i]!.key,
    overscan: 6,
    initialRect,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items[items.length - 1]?.index ?? 0;
  useEffect(() => {
    if (lastIndex >= rows.length - 8 && main.hasNextPage && !main.isFetchingNextPage && !main.isFetching) void main.fetchNextPage();
  }, [lastIndex, rows.length, main]);

  // Arrow keys move between chats; the focused row is the only one in the tab order.
  const [active, setActive] = useState(0);
  const chatIndexes = useMemo(() => rows.flatMap((r, i) => (r.kind === 'chat' ? [i] : [])), [rows]);
  const focusIndex = (i: number) => {
    setActive(i);
    virtualizer.scrollToIndex(i);
    requestAnimationFrame(() => scroller.current?.querySelector<HTMLElement>(`[data-row-index="${i}"] button`)?.focus());
  };
  const onKeyDownNow = (e: KeyboardEvent) => {
    const pos = chatIndexes.indexOf(active);
    if (e.key === 'ArrowDown' && pos < chatIndexes.length - 1) focusIndex(chatIndexes[pos + 1]!);
    else if (e.key === 'ArrowUp' && pos > 0) focusIndex(chatIndexes[pos - 1]!);
    else if (e.key === 'Home' && chatIndexes.length) focusIndex(chatIndexes[0]!);
    else if (e.key === 'End' && chatIndexes.length) focusIndex(chatIndexes[chatIndexes.length - 1]!);
    else return;
    e.preventDefault();
  };
  const keyDown = useRef(onKeyDownNow);
  keyDown.current = onKeyDownNow;
  const onKeyDown = useCallback((e: KeyboardEvent) => keyDown.current(e), []);
  const openAt = useCallback((c: Chat, i: number) => (setActive(i), open(c)), [open]);
  const tabbable = chatIndexes.includes(active) ? active : chatIndexes[0];

  const chips: [Filter, string][] = [
    ['all', 'All'],
    ['unread', 'Unread'],
    ['favorites', 'Favorites'],
    ['shared', 'Shared with me'],
  ];
  const err = main.error ?? shared.error;
  return (
    <section className="chat-list" aria-label="Chats">
      <header className="list-head">
        <div className="list-title">
          <h1>Chats</h1>
          {notificationsSupported() && (
            <button
              type="button"
              className="chip notify-toggle"
              aria-pressed={notify === 'on'}
              title={notify === 'on' ? 'Notifications on: new messages alert you while this app is in the background' : 'Get a notification and a sound for new messages while this app is in the background'}
              onClick={async () => setNotifyState(await setNotify(notify !== 'on'))}
              data-testid="notify-toggle"
            >
              {notify === 'on' ? 'Notifications on' : 'Notify me'}
            </button>
          )}
        </div>
        <div className="search-box">
          <SearchIcon />
          <label htmlFor="chat-search" className="sr-only">
            Search chats
          </label>
          <input id="chat-search" type="search" placeholder="Search or start a chat" value={search} onChange={(e) => setSearch(e.target.value)} />
        </div>
        {looksLikePhone(search.trim()) && <StartChat phone={search.trim()} onOpen={(c) => (setSearch(''), open(c))} />}
        <div className="chips" role="group" aria-label="Filter chats">
          {chips.map(([f, label]) => (
            <button key={f} type="button" className={`chip${filter === f ? ' on' : ''}`} aria-pressed={filter === f} onClick={() => setFilter(f)}>
              {f === 'favorites' && <StarIcon filled={filter === f} />}
              {label}
            </button>
          ))}
          {devices && devices.length > 1 && (
            <>
              <label htmlFor="device-filter" className="sr-only">
                Device
              </label>
              <select id="device-filter" className="chip" value={deviceId} onChange={(e) => setDeviceId(e.target.value)}>
                <option value="">All devices</option>
                {devices.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.name}
                  </option>
                ))}
              </select>
            </>
          )}
        </div>
      </header>
      {err && <p className="error pad">{errorMessage(err)}</p>}
      <div className="list-scroll" ref={scroller} data-testid="chat-list">
        {!main.isLoading && !main.isFetching && rows.length === 0 && <p className="muted pad">{q ? 'No chats match.' : filter === 'shared' ? 'Nothing is shared with you.' : noChatsYet}</p>}
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }} role="list">
          {items.map((v) => {
            const r = rows[v.index]!;
            return (
              <div key={v.key} data-row-index={v.index} ref={virtualizer.measureElement} data-index={v.index} role="listitem" className="list-row" style={{ position: 'absolute', top: 0, left: 0, width: '100%', transform: `translateY(${v.start}px)` }}>
                {r.kind === 'head' ? (
                  <h2 className={`section-head${r.key === 'h:fav' ? ' fav' : ''}`} data-testid={`section-${r.key.slice(2)}`}>
                    {r.label}
                  </h2>
                ) : r.kind === 'more' ? (
                  <p className="muted pad" role="status">
                    Loading more chats…
                  </p>
                ) : (
                  <ChatRow chat={r.chat} index={v.index} section={r.section} selected={r.chat.id === selectedId} tabIndex={v.index === tabbable ? 0 : -1} onOpen={openAt} onPress={prefetch} onHover={onHover} onKeyDown={onKeyDown} />
                )}
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
}
