import { useState } from 'react';
import { Link } from 'react-router';
import { useGetFavoritesQuery } from '../../api/favorites.api';
import { errorMessage } from '../../api/http';
import { Avatar } from '../../shared/avatar';
import { ConfirmButton } from '../../shared/confirm-button';
import { listTime } from '../../shared/format';
import { BackIcon, StarIcon } from '../../shared/icons';
import { useDeleteContactMutation, useGetCardQuery, useSetContactFavoriteMutation, type Card } from './contacts.api';
import { ContactForm } from './contact-form';
import { formatPhone } from './phone';
import { TagPicker } from './tag-picker';

/** One contact on the contacts page: CRM fields, tags, pin, and the chats with them the person may see. */
export function ContactDetails({ id, canEdit, onBack, onDeleted }: { id: string; canEdit: boolean; onBack(): void; onDeleted(): void }) {
  const { currentData: card, error, isLoading } = useGetCardQuery(id);
  const [editing, setEditing] = useState(false);
  const [remove, removing] = useDeleteContactMutation();
  const [pin, pinning] = useSetContactFavoriteMutation();
  const { data: favs } = useGetFavoritesQuery();
  // While a toggle is on its way, show what it asked for.
  const on = pinning.isLoading && pinning.originalArgs ? pinning.originalArgs.on : !!favs?.items.some((f) => f.contact?.id === id);

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
    <section className="contact-details" aria-labelledby="contact-h" data-testid="contact-details">
      <BackButton onBack={onBack} />
      <div className="identity">
        <Avatar name={c.name} size={80} />
        <h2 id="contact-h">{c.name}</h2>
        <p className="muted">{formatPhone(c.phone)}</p>
        <div className="actions center">
          <button
            type="button"
            className={`pin${on ? ' on' : ''}`}
            aria-pressed={on}
            disabled={pinning.isLoading}
            onClick={() => void pin({ id: c.id, on: !on })}
          >
            <StarIcon filled={on} /> {on ? 'Pinned' : 'Pin to favorites'}
          </button>
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
        </div>
        {removing.error && (
          <p role="alert" className="error">
            {errorMessage(removing.error)}
          </p>
        )}
      </div>
      <section className="card-section" aria-labelledby="d-tags">
        <h3 id="d-tags">Tags</h3>
        <TagPicker contactId={c.id} tags={c.tags} canEdit={canEdit} />
      </section>
      <section className="card-section" aria-labelledby="d-fields">
        <h3 id="d-fields">Details</h3>
        <dl className="fields">
          <dt>Email</dt>
          <dd>{c.email ? <a href={`mailto:${c.email}`}>{c.email}</a> : '—'}</dd>
          <dt>Company</dt>
          <dd>{c.company ?? '—'}</dd>
          <dt>Notes</dt>
          <dd className="notes">{c.notes ?? '—'}</dd>
        </dl>
      </section>
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
