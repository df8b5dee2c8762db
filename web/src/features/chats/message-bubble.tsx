import { memo, useState } from 'react';
import { bytes, clockTime, phoneOf } from '../../shared/format';
import { ReplyIcon } from '../../shared/icons';
import type { Message } from './chat.types';
import { drawsMedia, KindContent, ownsBody, Reactions, SystemLine } from './message-kinds';
import { linkify } from './linkify';
import { Ticks } from './ticks';
import { downloadMedia, useMediaUrl } from './use-media-url';

function MediaImage({ m }: { m: Message }) {
  const local = m.local?.file;
  const { url, error } = useMediaUrl(m.media?.mediaId, !local);
  const [localUrl] = useState(() => (local ? URL.createObjectURL(local) : null));
  const src = localUrl ?? url;
  if (error) return <p className="media-missing">Image not available</p>;
  return src ? <img className="media-img" src={src} alt={m.media?.filename ?? 'Image'} loading="lazy" /> : <div className="media-img placeholder" role="status" aria-label="Loading image" />;
}

function Document({ m }: { m: Message }) {
  const [err, setErr] = useState<string | null>(null);
  const name = m.media?.filename ?? 'Document';
  return (
    <div className="doc">
      <span className="doc-icon" aria-hidden="true">
        {(name.split('.').pop() ?? 'DOC').slice(0, 4).toUpperCase()}
      </span>
      <span className="doc-name">
        {name}
        <small>{bytes(m.media?.size)}</small>
      </span>
      {m.media?.mediaId && (
        <button type="button" className="link" onClick={() => downloadMedia(m.media!.mediaId!, name).catch((e: Error) => setErr(e.message))} aria-label={`Download ${name}`}>
          Download
        </button>
      )}
      {err && <span className="error">{err}</span>}
    </div>
  );
}

interface Props {
  m: Message;
  quoted: Message | null;
  grouped: boolean;
  isGroup: boolean;
  highlighted: boolean;
  canReply: boolean;
  onReply(m: Message): void;
  onRetry(m: Message): void;
  /** Delete a send that failed for good (owner and agents). */
  onDelete?(m: Message): void;
  /** The quote of a reply was clicked: show the quoted message. */
  onQuote?(quoted: Message): void;
}

export const MessageBubble = memo(function MessageBubble({ m, quoted, grouped, isGroup, highlighted, canReply, onReply, onRetry, onDelete, onQuote }: Props) {
  // Calls and group events are centred lines, not bubbles (message-kinds.tsx draws every kind).
  if (m.kind === 'system') return <SystemLine m={m} />;
  const out = m.direction === 'out';
  const isImage = !!m.media && !drawsMedia(m) && (m.type === 'image' || (m.media.mimetype ?? '').startsWith('image/'));
  const isDoc = !!m.media && !isImage && !drawsMedia(m) && m.type !== 'template';
  const sender = m.senderName ?? phoneOf(m.from);
  return (
    <div className={`msg ${out ? 'out' : 'in'}${grouped ? ' grouped' : ''}${highlighted ? ' highlighted' : ''}`} data-testid="message" data-message-id={m.id} data-status={m.status}>
      <div className="bubble">
        {!out && isGroup && !grouped && <p className="sender">{sender}</p>}
        {m.replyTo !== null && m.replyTo !== undefined && (
          <blockquote
            className={`quote${quoted && onQuote ? ' clickable' : ''}`}
            onClick={quoted && onQuote ? () => onQuote(quoted) : undefined}
            onKeyDown={quoted && onQuote ? (e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), onQuote(quoted)) : undefined}
            role={quoted && onQuote ? 'button' : undefined}
            tabIndex={quoted && onQuote ? 0 : undefined}
            aria-label={quoted && onQuote ? 'Show the quoted message' : undefined}
          >
            <strong>{quoted ? (quoted.direction === 'out' ? 'You' : (quoted.senderName ?? phoneOf(quoted.from))) : 'Reply'}</strong>
            <span>{quoted ? (quoted.body ?? quoted.media?.filename ?? 'Media') : 'A message not loaded here'}</span>
          </blockquote>
        )}
        {isImage && <MediaImage m={m} />}
        {isDoc && <Document m={m} />}
        <KindContent m={m} />
        {m.revoked ? (
          <p className="body revoked">This message was deleted</p>
        ) : (
          m.body && !ownsBody(m) && <p className="body">{linkify(m.body)}</p>
        )}
        <span className="meta">
          {m.editedAt && <span className="edited">edited</span>}
          <time dateTime={m.sentAt}>{clockTime(m.sentAt)}</time>
          {out && <Ticks status={m.status} />}
        </span>
        {canReply && !m.revoked && (
          <button type="button" className="reply-btn icon-btn" onClick={() => onReply(m)} aria-label="Reply to this message">
            <ReplyIcon />
          </button>
        )}
      </div>
      <Reactions m={m} />
      {(m.status === 'failed' || m.status === 'retrying') && (
        <p className="failed-row" role="alert" data-testid="send-failure">
          <strong>{m.status === 'retrying' ? 'Not sent — retrying' : 'Not sent'}</strong>
          {(m.lastError ?? m.error) && <span className="failed-reason">{m.lastError ?? m.error}</span>}
          <button type="button" className="link" onClick={() => onRetry(m)}>
            {m.status === 'retrying' ? 'Retry now' : 'Retry'}
          </button>
          {m.status === 'failed' && onDelete && (
            <button type="button" className="link danger" onClick={() => onDelete(m)}>
              Delete
            </button>
          )}
        </p>
      )}
    </div>
  );
});
