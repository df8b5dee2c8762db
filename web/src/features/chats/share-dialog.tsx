import { useEffect, useRef, useState, type FormEvent } from 'react';
import { errorMessage } from '../../api/http';
import { useSession } from '../../api/session';
import { chatTitle, type Chat } from './chat.types';
import { useAddShareMutation, useGetColleaguesQuery, useGetSharesQuery, useRemoveShareMutation } from './chats.api';

/** Share one chat read-only with a colleague; they read history and live messages but cannot write. */
export function ShareDialog({ chat, onClose }: { chat: Chat; onClose(): void }) {
  const me = useSession()!.user;
  const dialog = useRef<HTMLDialogElement>(null);
  const { data: shares, error } = useGetSharesQuery(chat.id);
  const { data: colleagues } = useGetColleaguesQuery();
  const [add, adding] = useAddShareMutation();
  const [remove] = useRemoveShareMutation();
  const [userId, setUserId] = useState('');

  useEffect(() => {
    const d = dialog.current;
    // No close() on cleanup: StrictMode's re-run would fire onClose and unmount the dialog.
    if (d && !d.open) d.showModal?.();
  }, []);
  const candidates = (colleagues ?? []).filter((u) => u.id !== me.id && !(shares ?? []).some((s) => s.userId === u.id));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (userId) void add({ chatId: chat.id, userId }).then((r) => !('error' in r) && setUserId(''));
  };
  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="share-title" onClose={onClose} onCancel={onClose}>
      <h2 id="share-title">Share “{chatTitle(chat)}”</h2>
      <p className="muted">A colleague you share with can read this chat, including new messages, but cannot write, share or delete.</p>
      {error && <p className="error">{errorMessage(error)}</p>}
      <ul className="member-list" aria-label="Shared with">
        {(shares ?? []).map((s) => (
          <li key={s.userId}>
            <span>
              <strong>{s.name ?? s.userId}</strong> <span className="muted">{s.email}</span>
            </span>
            <button type="button" className="link danger-text" onClick={() => void remove({ chatId: chat.id, userId: s.userId })} aria-label={`Stop sharing with ${s.name ?? s.userId}`}>
              Stop sharing
            </button>
          </li>
        ))}
        {shares && shares.length === 0 && <li className="muted">Not shared with anyone.</li>}
      </ul>
      <form className="inline-form" onSubmit={submit}>
        <label>
          Colleague
          <select value={userId} onChange={(e) => setUserId(e.target.value)} required autoFocus>
            <option value="">Choose…</option>
            {candidates.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name} ({u.email})
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary" disabled={adding.isLoading}>
          Share read-only
        </button>
      </form>
      {adding.error && (
        <p role="alert" className="error">
          {errorMessage(adding.error)}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </dialog>
  );
}
