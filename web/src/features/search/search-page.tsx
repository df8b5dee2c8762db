import { useEffect, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { errorMessage } from '../../api/http';
import { listTime } from '../../shared/format';
import { SearchIcon } from '../../shared/icons';
import { highlightParts, useGetSearchDevicesQuery, useSearchMessagesQuery, type SearchHit } from './search.api';
import './search.css';

function Snippet({ text }: { text: string }) {
  return (
    <span className="snippet">
      {highlightParts(text).map((p, i) => (p.hit ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}
    </span>
  );
}

/** Full-text search across every message you may read; a result opens its chat at that message. */
export default function SearchPage() {
  const [params, setParams] = useSearchParams();
  const [text, setText] = useState(params.get('q') ?? '');
  const q = (params.get('q') ?? '').trim();
  const navigate = useNavigate();
  const { data, error, isFetching } = useSearchMessagesQuery(q, { skip: q.length < 2 });
  useEffect(() => {
    const t = setTimeout(() => {
      if (text.trim() !== q) setParams(text.trim() ? { q: text.trim() } : {}, { replace: true });
    }, 300);
    return () => clearTimeout(t);
  }, [text, q, setParams]);

  const { data: devices } = useGetSearchDevicesQuery();
  // Our side of a chat is the number, not necessarily the reader: "You" only for the number's owner.
  const sentBy = (h: SearchHit) => {
    const d = devices?.find((x) => x.id === h.deviceId);
    if (d?.access === 'owner') return 'You: ';
    return d ? `${d.name}: ` : 'Sent: ';
  };
  const open = (h: SearchHit) => navigate(`/chats/${h.chatId}?at=${h.messageId}`);
  return (
    <main className="page search-page" aria-labelledby="search-title">
      <header className="page-head">
        <h1 id="search-title">Search messages</h1>
      </header>
      <form className="search-box big" role="search" onSubmit={(e) => (e.preventDefault(), setParams(text.trim() ? { q: text.trim() } : {}))}>
        <SearchIcon />
        <label htmlFor="msg-search" className="sr-only">
          Search messages
        </label>
        <input id="msg-search" type="search" autoFocus placeholder="Words from a message…" value={text} onChange={(e) => setText(e.target.value)} />
      </form>
      {error && <p className="error">{errorMessage(error)}</p>}
      <p className="muted" role="status" aria-live="polite">
        {q.length < 2 ? 'Type at least two letters.' : isFetching ? 'Searching…' : data ? `${data.items.length}${data.nextCursor ? '+' : ''} result${data.items.length === 1 ? '' : 's'}` : ''}
      </p>
      <ul className="hits">
        {data?.items.map((h) => (
          <li key={h.messageId}>
            <button type="button" className="hit" onClick={() => open(h)} data-testid="search-hit">
              <span className="hit-top">
                <strong>{h.chatName}</strong>
                <time>{listTime(h.sentAt)}</time>
              </span>
              <span className="hit-body">
                {h.direction === 'out' ? sentBy(h) : h.senderName ? `${h.senderName}: ` : ''}
                <Snippet text={h.snippet} />
              </span>
            </button>
          </li>
        ))}
      </ul>
    </main>
  );
}
