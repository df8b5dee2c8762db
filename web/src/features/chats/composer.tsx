import { lazy, Suspense, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useLocation } from 'react-router';
import { bytes, phoneOf } from '../../shared/format';
import { ClipIcon, CloseIcon, SendIcon } from '../../shared/icons';
import type { Message } from './chat.types';

interface Props {
  onSend(text: string, file: File | null): void;
  replyTo: Message | null;
  onCancelReply(): void;
  chatId: number;
}

const MAX_FILE = 64 * 1024 * 1024;

// The picker is its own chunk: the first open loads it, the initial bundle stays small.
const EmojiPicker = lazy(() => import('./emoji-picker'));

/** Drafts survive switching chats and reloads: one per chat, in this browser only. */
const draftKey = (chatId: number) => `wa-draft:${chatId}`;
const readDraft = (chatId: number) => {
  try {
    return localStorage.getItem(draftKey(chatId)) ?? '';
  } catch {
    return '';
  }
};
const writeDraft = (chatId: number, text: string) => {
  try {
    if (text) localStorage.setItem(draftKey(chatId), text);
    else localStorage.removeItem(draftKey(chatId));
  } catch {
    /* storage full or blocked: the draft lives as long as the page */
  }
};

/** Enter sends, Shift+Enter breaks the line; a paperclip attaches one file. */
export function Composer({ onSend, replyTo, onCancelReply, chatId }: Props) {
  const [text, setText] = useState(() => readDraft(chatId));
  const [picking, setPicking] = useState(false);
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<string | null>(null);
  const area = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    setText(readDraft(chatId));
    setFile(null);
    area.current?.focus();
  }, [chatId]);
  useEffect(() => writeDraft(chatId, text), [chatId, text]);
  // Opened to write ("Message" on a contact card): focus here even when this chat was already open.
  const compose = (useLocation().state as { compose?: number } | null)?.compose;
  useEffect(() => {
    if (compose) area.current?.focus();
  }, [compose]);
  const insert = (emoji: string) => {
    const a = area.current;
    const at = a ? a.selectionStart : text.length;
    const end = a ? a.selectionEnd : text.length;
    setText(text.slice(0, at) + emoji + text.slice(end));
    requestAnimationFrame(() => {
      a?.focus();
      a?.setSelectionRange(at + emoji.length, at + emoji.length);
    });
  };
  useEffect(() => {
    if (replyTo) area.current?.focus();
  }, [replyTo]);
  useEffect(() => {
    const a = area.current;
    if (!a) return;
    a.style.height = 'auto';
    a.style.height = `${Math.min(a.scrollHeight, 160)}px`;
  }, [text]);

  const send = () => {
    if (!text.trim() && !file) return;
    onSend(text.trim(), file);
    setText('');
    setFile(null);
    if (fileInput.current) fileInput.current.value = '';
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
    if (e.key === 'Escape' && replyTo) onCancelReply();
  };

  return (
    <div className="composer-wrap">
      {replyTo && (
        <div className="reply-preview" aria-live="polite">
          <div>
            <strong>Replying to {replyTo.direction === 'out' ? 'yourself' : (replyTo.senderName ?? phoneOf(replyTo.from))}</strong>
            <span>{replyTo.body ?? replyTo.media?.filename ?? 'Media'}</span>
          </div>
          <button type="button" className="icon-btn" onClick={onCancelReply} aria-label="Cancel reply">
            <CloseIcon />
          </button>
        </div>
      )}
      {file && (
        <div className="attachment" aria-live="polite">
          <span>
            📎 {file.name} <small>{bytes(file.size)}</small>
          </span>
          <button type="button" className="icon-btn" onClick={() => setFile(null)} aria-label={`Remove attachment ${file.name}`}>
            <CloseIcon />
          </button>
        </div>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <form
        className="composer"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        <input
          ref={fileInput}
          id={`attach-${chatId}`}
          type="file"
          className="sr-only"
          onChange={(e) => {
            const f = e.target.files?.[0] ?? null;
            if (f && f.size > MAX_FILE) {
              setError(`${f.name} is larger than ${bytes(MAX_FILE)}.`);
              return;
            }
            setError(null);
            setFile(f);
          }}
        />
        <span className="emoji-anchor">
          <button type="button" className="icon-btn emoji-btn" aria-label="Emoji" aria-expanded={picking} onClick={() => setPicking((p) => !p)} data-testid="emoji-button">
            <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true">
              <circle cx="12" cy="12" r="9" fill="none" stroke="currentColor" strokeWidth="1.8" />
              <circle cx="9" cy="10" r="1.2" fill="currentColor" />
              <circle cx="15" cy="10" r="1.2" fill="currentColor" />
              <path d="M8 14.5c1 1.5 2.4 2.2 4 2.2s3-.7 4-2.2" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
            </svg>
          </button>
          {picking && (
            <Suspense fallback={null}>
              <EmojiPicker onPick={insert} onClose={() => setPicking(false)} />
            </Suspense>
          )}
        </span>
        <label htmlFor={`attach-${chatId}`} className="icon-btn attach" title="Attach a file">
          <ClipIcon />
          <span className="sr-only">Attach a file</span>
        </label>
        <label htmlFor={`compose-${chatId}`} className="sr-only">
          Message
        </label>
        <textarea id={`compose-${chatId}`} ref={area} rows={1} placeholder="Type a message" value={text} onChange={(e) => setText(e.target.value)} onKeyDown={onKey} />
        <button type="submit" className="icon-btn send" aria-label="Send" disabled={!text.trim() && !file}>
          <SendIcon />
        </button>
      </form>
    </div>
  );
}
