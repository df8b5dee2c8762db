import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { errorMessage } from '../../api/http';
import { Avatar } from '../../shared/avatar';
import { phoneOf } from '../../shared/format';
import { BackIcon, InfoIcon } from '../../shared/icons';
import { canSendIn, chatTitle, type Chat, type Message } from './chat.types';
import { useGetMessagesInfiniteQuery, useMarkReadMutation, useRetryMessageMutation, useSendMessageMutation } from './chats.api';
import { Composer } from './composer';
import { MessageBubble } from './message-bubble';
import { buildRows, findQuoted } from './message-rows';
import { ShareDialog } from './share-dialog';

interface Props {
  chat: Chat;
  /** Open at this message (from search), loading older pages until it is there. */
  focusMessageId?: number | null;
  onBack(): void;
  onToggleInfo(): void;
  infoOpen: boolean;
  initialRect?: { width: number; height: number };
}

const MAX_PAGES_FOR_JUMP = 40;

export function Conversation({ chat, focusMessageId, onBack, onToggleInfo, infoOpen, initialRect }: Props) {
  const { data, error, isLoading, hasNextPage, isFetchingNextPage, fetchNextPage } = useGetMessagesInfiniteQuery(chat.id, { refetchOnMountOrArgChange: true });
  const [send] = useSendMessageMutation();
  const [retry] = useRetryMessageMutation();
  const [markRead] = useMarkReadMutation();
  const [replyTo, setReplyTo] = useState<Message | null>(null);
  const [sharing, setSharing] = useState(false);
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const writable = canSendIn(chat);
  const title = chatTitle(chat);

  const rows = useMemo(() => buildRows(data?.pages), [data]);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: (i) => (rows[i]?.kind === 'day' ? 44 : 64),
    getItemKey: (i) => rows[i]!.key,
    overscan: 8,
    initialRect,
  });

  // Stay at the newest message when it arrives, if the reader was already there.
  const lastKey = rows[rows.length - 1]?.key;
  const opened = useRef(false);
  useLayoutEffect(() => {
    if (!rows.length) return;
    if (!opened.current && !focusMessageId) {
      opened.current = true;
      virtualizer.scrollToIndex(rows.length - 1, { align: 'end' });
      requestAnimationFrame(() => virtualizer.scrollToIndex(rows.length - 1, { align: 'end' }));
    } else if (atBottom.current && !focusMessageId) {
      virtualizer.scrollToIndex(rows.length - 1, { align: 'end' });
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [lastKey]);

  // Older page arrived above: keep the same message under the reader's eyes.
  const firstMsgKey = rows.find((r) => r.kind === 'msg')?.key;
  const anchor = useRef<{ key?: string; start: number }>({ start: 0 });
  useLayoutEffect(() => {
    const a = anchor.current;
    const idx = a.key ? rows.findIndex((r) => r.key === a.key) : -1;
    if (a.key && a.key !== firstMsgKey && idx > 0 && scroller.current) {
      const start = virtualizer.measurementsCache[idx]?.start ?? 0;
      scroller.current.scrollTop += start - a.start;
    }
    const i0 = rows.findIndex((r) => r.key === firstMsgKey);
    anchor.current = { key: firstMsgKey, start: virtualizer.measurementsCache[i0]?.start ?? 0 };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [firstMsgKey]);

  // Jump to a message from search: load back until it is there, then center and mark it.
  const [jumped, setJumped] = useState<number | null>(null);
  useEffect(() => {
    if (!focusMessageId || !data || jumped === focusMessageId) return;
    const idx = rows.findIndex((r) => r.kind === 'msg' && r.message.id === focusMessageId);
    if (idx >= 0) {
      opened.current = true;
      atBottom.current = false;
      requestAnimationFrame(() => virtualizer.scrollToIndex(idx, { align: 'center' }));
      setJumped(focusMessageId);
    } else if (hasNextPage && !isFetchingNextPage && data.pages.length < MAX_PAGES_FOR_JUMP) {
      void fetchNextPage();
    }
  }, [focusMessageId, data, rows, hasNextPage, isFetchingNextPage, fetchNextPage, jumped, virtualizer]);

  const items = virtualizer.getVirtualItems();
  const firstVisible = items[0]?.index ?? 0;
  useEffect(() => {
    if (data && firstVisible < 5 && hasNextPage && !isFetchingNextPage && opened.current) void fetchNextPage();
  }, [firstVisible, hasNextPage, isFetchingNextPage, fetchNextPage, data]);

  // Opening the chat, or a new message while it is open, marks it read.
  useEffect(() => {
    // Only those who may answer mark it read: a colleague reading a shared chat leaves it unread.
    if (writable && chat.unreadCount > 0 && document.visibilityState !== 'hidden') void markRead(chat.id);
  }, [chat.id, markRead, chat.unreadCount, writable]);

  const onSend = useCallback(
    (text: string, file: File | null) => {
      atBottom.current = true;
      void send({ chatId: chat.id, deviceId: chat.deviceId, clientId: crypto.randomUUID(), text, file: file ?? undefined, replyTo: replyTo && replyTo.id > 0 ? replyTo.id : undefined });
      setReplyTo(null);
    },
    [send, chat.id, chat.deviceId, replyTo],
  );
  const onRetry = useCallback(
    (m: Message) => {
      if (m.id > 0) void retry({ id: m.id, chatId: chat.id });
      else void send({ chatId: chat.id, deviceId: chat.deviceId, clientId: m.clientId ?? crypto.randomUUID(), text: m.body ?? '', file: m.local?.file, replyTo: m.local?.replyTo });
    },
    [retry, send, chat.id, chat.deviceId],
  );

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
      <div
        className="messages"
        ref={scroller}
        onScroll={(e) => {
          const el = e.currentTarget;
          atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
        }}
        role="log"
        aria-label="Messages"
        aria-busy={isLoading || isFetchingNextPage}
        tabIndex={0}
        data-testid="message-list"
      >
        {isFetchingNextPage && <p className="loading-older" role="status">Loading older messages…</p>}
        {error && <p className="error">{errorMessage(error)}</p>}
        {!isLoading && !error && rows.length === 0 && <p className="empty-chat">No messages yet.</p>}
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((v) => {
            const r = rows[v.index]!;
            return (
              <div key={v.key} data-index={v.index} ref={virtualizer.measureElement} className="row" style={{ position: 'absolute', top: 0, left: 0, width: '100%', transform: `translateY(${v.start}px)` }}>
                {r.kind === 'day' ? (
                  <div className="day-sep" role="separator">
                    <span>{r.label}</span>
                  </div>
                ) : (
                  <MessageBubble
                    m={r.message}
                    quoted={r.message.replyTo !== null ? findQuoted(rows, r.message.replyTo) : null}
                    grouped={r.grouped}
                    isGroup={!!chat.isGroup}
                    highlighted={r.message.id === focusMessageId}
                    canReply={writable}
                    onReply={setReplyTo}
                    onRetry={onRetry}
                  />
                )}
              </div>
            );
          })}
        </div>
      </div>
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
