import { useState } from 'react';
import { Link } from 'react-router';
import { errorMessage } from '../../api/http';
import { ConfirmButton } from '../../shared/confirm-button';
import { listTime } from '../../shared/format';
import { BackIcon } from '../../shared/icons';
import { useDeleteContactMutation, useGetCardQuery, type Card } from './contacts.api';
import { ContactForm } from './contact-form';
import { ContactSummary } from './contact-summary';
import { MessageAction } from './message-action';

/** One contact on the contacts page: the card (ContactSummary) with Message, Edit and Delete, and the chats with them the person may see. */
export function ContactDetails({ id, canEdit, onBack, onDeleted }: { id: string; canEdit: boolean; onBack(): void; onDeleted(): void }) {
  const { currentData: card, error, isLoading } = useGetCardQuery(id);
  const [editing, setEditing] = useState(false);
  const [remove, removing] = useDeleteContactMutation();

  if (error)
    return (
      <section className="contact-details pad" aria-live="polite">
        <BackButton onBack={onBack} />
        <h2>Contact not found</h2>
        <p className="muted">{(error as { status?: number }).status === 404 ? 'It was deleted, or the link is wrong.' : errorMessage(error)}</p>
        <Link to="/contacts">Back to contacts</Link>
      </section>
    );
  if (isLoading || !card) return <p className="pad muted" role="status">Loading…</p>;
  const c = card.contact;
  if (editing)
    return (
      <section className="contact-details">
        <ContactForm contact={c} canManageTags={canEdit} onDone={() => setEditing(false)} onCancel={() => setEditing(false)} />
      </section>
    );
  return (
    <section className="contact-details" aria-labelledby={`contact-name-${c.id}`} data-testid="contact-details">
      <BackButton onBack={onBack} />
      <ContactSummary
        contact={c}
        canEdit={canEdit}
        level={2}
        actions={
          <>
            <MessageAction phone={c.phone} name={c.name} />
            {canEdit && (
              <button type="button" onClick={() => setEditing(true)}>
                Edit
              </button>
            )}
            {canEdit && (
              <ConfirmButton confirm={`Delete ${c.name}?`} onConfirm={() => void remove(c.id).then((r) => !('error' in r) && onDeleted())} disabled={removing.isLoading}>
                Delete
              </ConfirmButton>
            )}
          </>
        }
      />
      {removing.error && (
        <p role="alert" className="error pad">
          {errorMessage(removing.error)}
        </p>
      )}
      <Chats card={card} />
    </section>
  );
}

function BackButton({ onBack }: { onBack(): void }) {
  return (
    <button type="button" className="link back-to-list" onClick={onBack}>
      <BackIcon /> All contacts
    </button>
  );
}

function Chats({ card }: { card: Card }) {
  return (
    <section className="card-section" aria-labelledby="d-chats">
      <h3 id="d-chats">Chats</h3>
      {card.chats.length === 0 ? (
        <p className="muted">No chat with this person on a device you may see.</p>
      ) : (
        <ul className="card-chats">
          {card.chats.map((ch) => (
            <li key={ch.id}>
              <Link to={`/chats/${ch.id}`} data-testid="card-chat">
                <strong>{ch.name ?? card.contact.name}</strong>
                <span className="muted"> on {ch.deviceName}</span>
                {ch.unreadCount > 0 && <span className="pill unread">{ch.unreadCount} unread</span>}
                <span className="muted chat-when">{listTime(ch.lastMessageAt)}</span>
              </Link>
              {ch.lastMessage?.body && <p className="muted last-line">{ch.lastMessage.direction === 'out' ? 'Sent: ' : ''}{ch.lastMessage.body}</p>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
