import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
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

/** Enter sends, Shift+Enter breaks the line; a paperclip attaches one file. */
export function Composer({ onSend, replyTo, onCancelReply, chatId }: Props) {
  const [text, setText] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<string | null>(null);
  const area = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    setText('');
    setFile(null);
    area.current?.focus();
  }, [chatId]);
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
