import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { errorMessage } from '../../api/http';
import { Avatar } from '../../shared/avatar';
import { phoneOf } from '../../shared/format';
import { BackIcon, InfoIcon } from '../../shared/icons';
import { canSendIn, chatTitle, type Chat, type ChatDevice, type Message } from './chat.types';
import {
  useDeleteMessageMutation,
  useGetChatDevicesQuery,
  useGetMessagesInfiniteQuery,
  useMarkReadMutation,
  useRetryMessageMutation,
  useSendMessageMutation,
} from './chats.api';
import { Composer } from './composer';
import { MessageBubble } from './message-bubble';
import { buildRows, findQuoted, withUnreadDivider, type Row } from './message-rows';
import { ShareDialog } from './share-dialog';

interface Props {
  chat: Chat;
  /** Open centred on this message (a search hit), with the newest left out until the person goes there. */
  focusMessageId?: number | null;
  onBack(): void;
  onToggleInfo(): void;
  infoOpen: boolean;
  /** The person left the search hit for the newest messages: the address drops its `?at`. */
  onLeaveFocus?(): void;
  initialRect?: { width: number; height: number };
  /** `chat` is the list's row, shown while the chat's own answer is on its way. */
  provisional?: boolean;
}

/** How close to an edge (px) the next page is asked for. */
const EDGE = 600;
/** A cached slice younger than this is shown without asking again (it is kept live by events). */
const FRESH_SECONDS = 10;
/** Estimated heights (px) before a row is measured: a one-line bubble, a separator. */
const MSG_EST = 48;
const SEP_EST = 40;

/** Why a device's chats may not send now, or null when all is well. */
function deviceProblem(d: ChatDevice | undefined): string | null {
  if (!d) return null;
  if (d.engineReachable === false) return `The WhatsApp engine of ${d.name} cannot be reached. Messages wait here and go out when it is back.`;
  if (d.status && d.status !== 'connected') return `${d.name} is not connected (${d.status.replace(/_/g, ' ')}). Messages wait here and go out once it is.`;
  return null;
}

export function Conversation({ chat, focusMessageId, onBack, onToggleInfo, infoOpen, onLeaveFocus, initialRect, provisional = false }: Props) {
  const [send] = useSendMessageMutation();
  const [retry] = useRetryMessageMutation();
  const [remove] = useDeleteMessageMutation();
  const [markRead] = useMarkReadMutation();
  const { data: devices } = useGetChatDevicesQuery();
  const [replyTo, setReplyTo] = useState<Message | null>(null);
  const [sharing, setSharing] = useState(false);
  // The slice shown: around a message (search hit), or the newest.
  const [around, setAround] = useState<number | null>(focusMessageId ?? null);
  useEffect(() => setAround(focusMessageId ?? null), [focusMessageId]);
  // The unread count when the chat was opened: marking it read must not move the divider.
  const [unreadAtOpen, setUnreadAtOpen] = useState(chat.unreadCount);
  // Opened from the list's row, the server's answer for the chat comes a moment later and its count
  // is the one at the open (the row's may lag); later counts are messages that came while reading.
  const confirmed = useRef(!provisional);
  useEffect(() => {
    if (provisional || confirmed.current) return;
    confirmed.current = true;
    setUnreadAtOpen((n) => Math.max(n, chat.unreadCount));
  }, [provisional, chat.unreadCount]);
  const writable = canSendIn(chat);
  const title = chatTitle(chat);
  const problem = deviceProblem(devices?.find((d) => d.id === chat.deviceId));

  // Opening the chat, or a new message while it is open, marks it read.
  useEffect(() => {
    // Only those who may answer mark it read: a colleague reading a shared chat leaves it unread.
    if (writable && chat.unreadCount > 0 && document.visibilityState !== 'hidden') void markRead(chat.id);
  }, [chat.id, markRead, chat.unreadCount, writable]);

  const toNewest = useCallback(() => {
    if (around !== null) {
      setAround(null);
      onLeaveFocus?.();
    }
  }, [around, onLeaveFocus]);

  const onSend = useCallback(
    (text: string, file: File | null) => {
      toNewest();
      void send({ chatId: chat.id, deviceId: chat.deviceId, clientId: crypto.randomUUID(), text, file: file ?? undefined, replyTo: replyTo && replyTo.id > 0 ? replyTo.id : undefined });
      setReplyTo(null);
    },
    [send, chat.id, chat.deviceId, replyTo, toNewest],
  );
  const onRetry = useCallback(
    (m: Message) => {
      if (m.id > 0) void retry({ id: m.id, chatId: chat.id });
      else void send({ chatId: chat.id, deviceId: chat.deviceId, clientId: m.clientId ?? crypto.randomUUID(), text: m.body ?? '', file: m.local?.file, replyTo: m.local?.replyTo });
    },
    [retry, send, chat.id, chat.deviceId],
  );
  const onDelete = useCallback((m: Message) => void remove({ id: m.id, chatId: chat.id, clientId: m.clientId }), [remove, chat.id]);

  return (
    <section className="conversation" aria-label={`Conversation with ${title}`}>
      <header className="conv-head">
        <button type="button" className="icon-btn back" onClick={onBack} aria-label="Back to chats">
          <BackIcon />
        </button>
        <Avatar name={title} size={40} />
        <div className="conv-title">
          <h2 data-testid="conversation-title">{title}</h2>
          <p className="muted">
            {chat.isGroup ? 'Group' : phoneOf(chat.jid)}
            {!writable && <span className="pill readonly"> Read-only{chat.sharedBy ? `, shared by ${chat.sharedBy.name}` : ''}</span>}
          </p>
        </div>
        {writable && (
          <button type="button" onClick={() => setSharing(true)}>
            Share
          </button>
        )}
        <button type="button" className="icon-btn" onClick={onToggleInfo} aria-pressed={infoOpen} aria-label="Contact details">
          <InfoIcon />
        </button>
      </header>
      {problem && (
        <p className="device-banner" role="status" data-testid="device-banner">
          {problem}
        </p>
      )}
      <MessagePane
        key={around ?? 'newest'}
        chat={chat}
        around={around}
        unreadAtOpen={around === null ? unreadAtOpen : 0}
        writable={writable}
        onReply={setReplyTo}
        onRetry={onRetry}
        onDelete={onDelete}
        onJumpToNewest={toNewest}
        initialRect={initialRect}
      />
      {writable ? (
        <Composer chatId={chat.id} onSend={onSend} replyTo={replyTo} onCancelReply={() => setReplyTo(null)} />
      ) : (
        <p className="readonly-note" data-testid="readonly-note">
          This chat was shared with you to read. You cannot write in it.
        </p>
      )}
      {sharing && <ShareDialog chat={chat} onClose={() => setSharing(false)} />}
    </section>
  );
}

interface PaneProps {
  chat: Chat;
  around: number | null;
  unreadAtOpen: number;
  writable: boolean;
  onReply(m: Message): void;
  onRetry(m: Message): void;
  onDelete(m: Message): void;
  onJumpToNewest(): void;
  initialRect?: { width: number; height: number };
}

/**
 * The scrolling list of one slice. It opens at the newest message (or centred on `around`), stays
 * there while messages arrive, loads older pages only when the person scrolls up (keeping what is
 * on screen in place), and newer pages when a slice opened around a message is scrolled down.
 */
function MessagePane({ chat, around, unreadAtOpen, writable, onReply, onRetry, onDelete, onJumpToNewest, initialRect }: PaneProps) {
  const arg = useMemo(() => (around ? { chatId: chat.id, around } : { chatId: chat.id }), [chat.id, around]);
  // A slice fetched in the last seconds (the chat list asks on the press) is not asked again; an
  // older one is shown at once and refreshed.
  const q = useGetMessagesInfiniteQuery(arg, { refetchOnMountOrArgChange: FRESH_SECONDS });
  const { data, error, isLoading, hasNextPage, hasPreviousPage, isFetchingNextPage, isFetchingPreviousPage, fetchNextPage, fetchPreviousPage } = q;
  const scroller = useRef<HTMLDivElement>(null);
  const reachesNewest = !!data && !data.pages[0]?.after;
  // Follow the newest message while the person is at the bottom of a slice that reaches it.
  const stick = useRef(around === null);
  const ready = useRef(false);
  const [atBottom, setAtBottom] = useState(true);
  const [newCount, setNewCount] = useState(0);
  const [highlight, setHighlight] = useState<number | null>(around);

  const rows: Row[] = useMemo(() => withUnreadDivider(buildRows(data?.pages), unreadAtOpen), [data, unreadAtOpen]);
  const estimateSize = useCallback((i: number) => (rows[i]?.kind === 'msg' ? MSG_EST : SEP_EST), [rows]);
  const getItemKey = useCallback((i: number) => rows[i]!.key, [rows]);
  // Off until the first page is there, so its first drawing already starts at the newest rows (at the
  // end of the estimated height, the box's own height above it) instead of at the oldest, which a
  // scroll to the bottom would only replace a frame or two later.
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize,
    getItemKey,
    overscan: 8,
    enabled: rows.length > 0,
    initialRect: initialRect ?? (rows.length && scroller.current ? { width: scroller.current.clientWidth, height: scroller.current.clientHeight } : undefined),
    initialOffset: () => {
      if (around !== null) return 0;
      let h = 0;
      for (let i = 0; i < rows.length; i++) h += estimateSize(i);
      return Math.max(0, h - (initialRect?.height ?? scroller.current?.clientHeight ?? 0));
    },
  });
  const total = virtualizer.getTotalSize();

  // The first position: the newest message, or the one asked for in the middle.
  useLayoutEffect(() => {
    if (ready.current || !rows.length || !scroller.current) return;
    const el = scroller.current;
    if (around === null) {
      el.scrollTop = el.scrollHeight;
    } else {
      const idx = rows.findIndex((r) => r.kind === 'msg' && r.message.id === around);
      if (idx >= 0) virtualizer.scrollToIndex(idx, { align: 'center' });
    }
    // Measured sizes replace estimates over the next frames; the position is settled after them.
    let frames = 0;
    const settle = () => {
      if (around === null && stick.current) el.scrollTop = el.scrollHeight;
      else if (around !== null) {
        const idx = rows.findIndex((r) => r.kind === 'msg' && r.message.id === around);
        if (idx >= 0) virtualizer.scrollToIndex(idx, { align: 'center' });
      }
      if (++frames < 4) requestAnimationFrame(settle);
      else ready.current = true;
    };
    requestAnimationFrame(settle);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rows.length > 0]);

  // At the bottom, new messages and late measurements keep the newest in view.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && stick.current && reachesNewest) el.scrollTop = el.scrollHeight;
  }, [total, rows.length, reachesNewest]);

  // Messages that arrived below while the person reads further up.
  const lastKey = rows[rows.length - 1]?.key;
  const prevLast = useRef(lastKey);
  useEffect(() => {
    const before = prevLast.current;
    prevLast.current = lastKey;
    if (!before || before === lastKey || stick.current) return;
    const i = rows.findIndex((r) => r.key === before);
    if (i >= 0) setNewCount((n) => n + rows.slice(i + 1).filter((r) => r.kind === 'msg' && r.message.direction === 'in').length);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [lastKey]);
  // A slice away from the newest learns of new messages from the chat itself.
  const lastId = chat.lastMessageId;
  const prevLastId = useRef(lastId);
  useEffect(() => {
    if (prevLastId.current !== lastId && !reachesNewest) setNewCount((n) => n + 1);
    prevLastId.current = lastId;
  }, [lastId, reachesNewest]);

  // Older page arrived above: keep the same message at the same place on screen. Sizes above it go
  // from estimates to measurements over a few frames, so the place is checked in the DOM until settled.
  const firstKey = rows.find((r) => r.kind === 'msg')?.key;
  const anchor = useRef<{ key: string; top: number } | null>(null);
  useLayoutEffect(() => {
    const a = anchor.current;
    const el = scroller.current;
    if (!a || !el || stick.current) return;
    const place = () => {
      const node = el.querySelector<HTMLElement>(`[data-key="${CSS.escape(a.key)}"]`);
      if (node) {
        const delta = node.getBoundingClientRect().top - el.getBoundingClientRect().top - a.top;
        if (Math.abs(delta) > 0.5) el.scrollTop += delta;
        return true;
      }
      const m = virtualizer.measurementsCache[rows.findIndex((r) => r.key === a.key)];
      if (m) el.scrollTop = m.start - a.top;
      return false;
    };
    place();
    let frames = 0;
    const again = () => {
      place();
      if (++frames < 6) requestAnimationFrame(again);
    };
    requestAnimationFrame(again);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [firstKey]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el || !ready.current) return;
    const bottom = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    stick.current = bottom && reachesNewest;
    setAtBottom(bottom && reachesNewest);
    if (bottom && reachesNewest) setNewCount(0);
    // Remember what is on top, so a page added above does not move it.
    const boxTop = el.getBoundingClientRect().top;
    const first = Array.from(el.querySelectorAll<HTMLElement>('[data-key^="c:"], [data-key^="m:"]')).find((n) => n.getBoundingClientRect().bottom > boxTop);
    if (first) anchor.current = { key: first.dataset.key!, top: first.getBoundingClientRect().top - boxTop };
    if (el.scrollTop < EDGE && hasNextPage && !isFetchingNextPage) void fetchNextPage();
    if (el.scrollHeight - el.scrollTop - el.clientHeight < EDGE && hasPreviousPage && !isFetchingPreviousPage) void fetchPreviousPage();
  };

  // A short chat does not fill the screen, so no scroll would ever ask for more: ask once settled.
  useEffect(() => {
    const el = scroller.current;
    if (!el || !data || !ready.current) return;
    if (el.scrollHeight <= el.clientHeight + 4 && hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [data, total, hasNextPage, isFetchingNextPage, fetchNextPage]);

  const jump = () => {
    setNewCount(0);
    if (!reachesNewest || around !== null) return onJumpToNewest();
    stick.current = true;
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
  };

  const onQuote = useCallback(
    (quoted: Message) => {
      const idx = rows.findIndex((r) => r.kind === 'msg' && r.message.id === quoted.id);
      if (idx < 0) return;
      stick.current = false;
      setHighlight(quoted.id);
      virtualizer.scrollToIndex(idx, { align: 'center' });
    },
    [rows, virtualizer],
  );

  const items = virtualizer.getVirtualItems();
  return (
    <div className="messages-wrap">
      <div
        className="messages"
        ref={scroller}
        onScroll={onScroll}
        role="log"
        aria-label="Messages"
        aria-busy={isLoading || isFetchingNextPage}
        tabIndex={0}
        data-testid="message-list"
      >
        {isFetchingNextPage && <p className="loading-older" role="status">Loading older messages…</p>}
        {error && <p className="error">{errorMessage(error)}</p>}
        {!isLoading && !error && rows.length === 0 && <p className="empty-chat">No messages yet. Say hello.</p>}
        <div style={{ height: total, position: 'relative' }}>
          {items.map((v) => {
            const r = rows[v.index]!;
            return (
              <div key={v.key} data-index={v.index} data-key={String(v.key)} ref={virtualizer.measureElement} className="row" style={{ position: 'absolute', top: 0, left: 0, width: '100%', transform: `translateY(${v.start}px)` }}>
                {r.kind === 'day' ? (
                  <div className="day-sep" role="separator">
                    <span>{r.label}</span>
                  </div>
                ) : r.kind === 'unread' ? (
                  <div className="unread-sep" role="separator" data-testid="unread-divider">
                    <span>{r.label}</span>
                  </div>
                ) : (
                  <MessageBubble
                    m={r.message}
                    quoted={r.message.replyTo !== null ? findQuoted(rows, r.message.replyTo) : null}
                    grouped={r.grouped}
                    isGroup={!!chat.isGroup}
                    highlighted={r.message.id === highlight}
                    canReply={writable}
                    onReply={onReply}
                    onRetry={onRetry}
                    onDelete={writable ? onDelete : undefined}
                    onQuote={onQuote}
                  />
                )}
              </div>
            );
          })}
        </div>
      </div>
      {(!atBottom || !reachesNewest) && rows.length > 0 && (
        <button type="button" className="jump-latest" onClick={jump} aria-label={newCount ? `Jump to latest, ${newCount} new` : 'Jump to latest'} data-testid="jump-latest">
          <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
            <path d="M6 9l6 6 6-6" fill="none" stroke="currentColor" strokeWidth="2.2" />
          </svg>
          {newCount > 0 && <span className="jump-count">{newCount > 99 ? '99+' : newCount}</span>}
        </button>
      )}
    </div>
  );
}
