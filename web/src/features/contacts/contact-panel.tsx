import { useState } from 'react';
import { errorMessage } from '../../api/http';
import { Avatar } from '../../shared/avatar';
import { phoneOf } from '../../shared/format';
import { CloseIcon } from '../../shared/icons';
import { useCreateFromChatMutation, useFindByPhoneQuery, useGetCardQuery, type Card } from './contacts.api';
import { ContactForm } from './contact-form';
import { ContactSummary } from './contact-summary';
import { MessageAction } from './message-action';
import './contacts.css';

export interface PanelChat {
  id: number;
  jid: string;
  name: string | null;
  isGroup?: boolean;
  contactId?: string | null;
}

/** The third pane: who this is in the CRM (the card, ContactSummary, plus WhatsApp names), or "+" to add them. "Message" opens their chat and closes the pane. */
export function ContactPanel({ chat, canEdit, onClose }: { chat: PanelChat; canEdit: boolean; onClose(): void }) {
  const phone = chat.jid.endsWith('@s.whatsapp.net') ? `+${chat.jid.split('@')[0]}` : null;
  const byPhone = useFindByPhoneQuery(phone ?? '', { skip: !!chat.contactId || !phone });
  // currentData, not data: while another chat's answer is cached, it must not show here.
  const contactId = chat.contactId ?? byPhone.currentData?.id ?? null;
  const { currentData: card, error, isLoading } = useGetCardQuery(contactId ?? '', { skip: !contactId });
  const [create, creating] = useCreateFromChatMutation();

  return (
    <section className="contact-panel" aria-labelledby="contact-title">
      <header className="panel-head">
        <button type="button" className="icon-btn" onClick={onClose} aria-label="Close contact details">
          <CloseIcon />
        </button>
        <h2 id="contact-title">{chat.isGroup ? 'Group info' : 'Contact info'}</h2>
      </header>
      {error && <p className="error pad">{errorMessage(error)}</p>}
      {(isLoading || byPhone.isLoading) && <p className="pad muted" role="status">Loading…</p>}
      {card ? (
        <CardView card={card} canEdit={canEdit} onMessage={onClose} />
      ) : (
        !isLoading &&
        !byPhone.isLoading && (
          <div className="card-body">
            <div className="identity">
              <Avatar name={chat.name ?? chat.jid} size={96} />
              <h3 data-testid="wa-name">{chat.name ?? phoneOf(chat.jid)}</h3>
              <p className="muted">{chat.isGroup ? 'WhatsApp group' : phoneOf(chat.jid)}</p>
            </div>
            {!chat.isGroup && (
              <div className="pad">
                <p className="muted">This person is only on WhatsApp, not in your contacts.</p>
                {canEdit && (
                  <button type="button" className="primary add-contact" onClick={() => void create({ chatId: chat.id })} disabled={creating.isLoading} aria-label="Add to contacts" data-testid="add-contact">
                    + Add to contacts
                  </button>
                )}
                {creating.error && (
                  <p role="alert" className="error">
                    {errorMessage(creating.error)}
                  </p>
                )}
              </div>
            )}
          </div>
        )
      )}
    </section>
  );
}

function CardView({ card, canEdit, onMessage }: { card: Card; canEdit: boolean; onMessage(): void }) {
  const c = card.contact;
  const [editing, setEditing] = useState(false);
  const names = card.whatsapp.filter((w) => w.pushName || w.fullName || w.businessName);

  if (editing)
    return (
      <div className="card-body" data-testid="contact-card">
        <ContactForm contact={c} canManageTags={canEdit} onDone={() => setEditing(false)} onCancel={() => setEditing(false)} />
      </div>
    );
  return (
    <div className="card-body" data-testid="contact-card">
      <ContactSummary
        contact={c}
        canEdit={canEdit}
        level={3}
        actions={
          <>
            <MessageAction phone={c.phone} name={c.name} onOpened={onMessage} />
            {canEdit && (
              <button type="button" onClick={() => setEditing(true)}>
                Edit
              </button>
            )}
          </>
        }
      />
      <section className="card-section" aria-labelledby="wa-h">
        <h4 id="wa-h">On WhatsApp</h4>
        {names.length === 0 ? (
          <p className="muted">No WhatsApp name known.</p>
        ) : (
          <ul className="wa-names">
            {names.map((w) => (
              <li key={w.id}>
                <strong>{w.pushName ?? w.fullName ?? w.businessName}</strong>
                {w.businessName && w.businessName !== w.pushName && <span> · {w.businessName}</span>}
                <span className="muted"> on {w.deviceName ?? 'a device'}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
