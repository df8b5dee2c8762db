import { useCallback, useMemo, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { useSession } from '../api/session';
import { errorMessage } from '../api/http';
import { ChatList } from '../features/chats/chat-list';
import { chatContactId, type Chat } from '../features/chats/chat.types';
import { useGetChatQuery, useGetSharedWithMeQuery } from '../features/chats/chats.api';
import { Conversation } from '../features/chats/conversation';
import { ContactPanel } from '../features/contacts/contact-panel';
import { useMediaQuery } from '../shared/use-media-query';
import '../features/chats/chats.css';

/**
 * Chats in three panes — list | conversation | contact card — composed here so the chats and
 * contacts features never import each other. Under 700px one pane shows at a time.
 */
export default function ChatsRoute() {
  const { chatId: param } = useParams();
  const [search] = useSearchParams();
  const navigate = useNavigate();
  const chatId = param ? Number(param) : null;
  const at = search.get('at') ? Number(search.get('at')) : null;
  const wide = useMediaQuery('(min-width: 1100px)');
  // The contact card opens when asked for (the info button), not on every chat.
  const [infoOpen, setInfoOpen] = useState(false);
  const showInfo = infoOpen;
  const role = useSession()!.user.role;

  // `currentData`: the chat asked for, never the previous one while it loads.
  const { currentData: fetched, error } = useGetChatQuery(chatId ?? 0, { skip: !chatId });
  const { data: shared } = useGetSharedWithMeQuery();
  // The row clicked in the list is the chat until its own answer comes: the conversation (and its
  // messages request) starts at once instead of after a round trip for the chat.
  const [picked, setPicked] = useState<Chat | null>(null);
  const chat: Chat | undefined = useMemo(() => {
    const s = shared?.find((c) => c.id === chatId);
    if (fetched && s) return { ...s, ...fetched, access: 'grantee', canSend: false, sharedBy: s.sharedBy };
    return fetched ?? s ?? (picked?.id === chatId && !error ? picked : undefined);
  }, [fetched, shared, chatId, picked, error]);

  const onOpen = useCallback((c: Chat) => (setPicked(c), navigate(`/chats/${c.id}`)), [navigate]);

  const pane = chatId ? (showInfo && !wide ? 'info' : 'conversation') : 'list';
  return (
    <main className={`chats-layout${showInfo && chat ? ' with-info' : ''}`} data-pane={pane}>
      <div className="pane pane-list">
        <ChatList selectedId={chatId} onOpen={onOpen} />
      </div>
      <div className="pane pane-conv">
        {chat ? (
          <Conversation key={chat.id} chat={chat} provisional={chat === picked} focusMessageId={at} onLeaveFocus={() => navigate(`/chats/${chat.id}`, { replace: true })} onBack={() => navigate('/chats')} onToggleInfo={() => setInfoOpen(!showInfo)} infoOpen={showInfo} />
        ) : chatId && error ? (
          <div className="conv-empty" data-testid="chat-not-found">
            <div>
              <h2>{(error as { status?: number }).status === 404 ? 'Chat not found' : 'This chat cannot be opened'}</h2>
              <p className="muted">{(error as { status?: number }).status === 404 ? 'It does not exist, or you no longer have access to it.' : errorMessage(error)}</p>
              <p>
                <Link to="/chats">Back to chats</Link>
              </p>
            </div>
          </div>
        ) : (
          <div className="conv-empty">
            <div>
              <h2>Team WhatsApp</h2>
              <p className="muted">Choose a chat on the left. New messages arrive here live.</p>
            </div>
          </div>
        )}
      </div>
      {chat && showInfo && (
        <div className="pane pane-info">
          <ContactPanel key={chat.id} chat={{ id: chat.id, jid: chat.jid, name: chat.name, isGroup: chat.isGroup, contactId: chatContactId(chat) }} canEdit={role !== 'viewer'} onClose={() => setInfoOpen(false)} />
        </div>
      )}
    </main>
  );
}
