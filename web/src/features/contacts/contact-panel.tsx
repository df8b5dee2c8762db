import { useState, type FormEvent } from 'react';
import { useGetFavoritesQuery, usePinContactMutation, useUnpinContactMutation } from '../../api/favorites.api';
import { errorMessage } from '../../api/http';
import { Avatar } from '../../shared/avatar';
import { phoneOf } from '../../shared/format';
import { CloseIcon, StarIcon } from '../../shared/icons';
import { useCreateFromChatMutation, useFindByPhoneQuery, useGetCardQuery, useUpdateContactMutation, type Card, type ContactPatch } from './contacts.api';
import { TagPicker } from './tag-picker';
import './contacts.css';

export interface PanelChat {
  id: number;
  jid: string;
  name: string | null;
  isGroup?: boolean;
  contactId?: string | null;
}

/** The third pane: who this is in the CRM (fields, tags, WhatsApp names), or "+" to add them. */
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
        <CardView card={card} canEdit={canEdit} />
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

function CardView({ card, canEdit }: { card: Card; canEdit: boolean }) {
  const c = card.contact;
  const [editing, setEditing] = useState(false);
  const { data: favs } = useGetFavoritesQuery();
  const pinned = !!favs?.items.some((f) => f.contact?.id === c.id);
  const [pin, pinning] = usePinContactMutation();
  const [unpin, unpinning] = useUnpinContactMutation();
  const names = card.whatsapp.filter((w) => w.pushName || w.fullName || w.businessName);

  return (
    <div className="card-body" data-testid="contact-card">
      <div className="identity">
        <Avatar name={c.name} size={96} />
        <h3 data-testid="contact-name">{c.name}</h3>
        <p className="muted">{phoneOf(c.phone)}</p>
        <button type="button" className={`pin${pinned ? ' on' : ''}`} aria-pressed={pinned} onClick={() => void (pinned ? unpin(c.id) : pin(c.id))} disabled={pinning.isLoading || unpinning.isLoading} data-testid="pin-contact">
          <StarIcon filled={pinned} /> {pinned ? 'Pinned to favorites' : 'Pin to favorites'}
        </button>
      </div>
      <section className="card-section" aria-labelledby="tags-h">
        <h4 id="tags-h">Tags</h4>
        <TagPicker contactId={c.id} tags={c.tags} canEdit={canEdit} />
      </section>
      {editing ? (
        <EditForm card={card} onDone={() => setEditing(false)} />
      ) : (
        <section className="card-section" aria-labelledby="crm-h">
          <div className="section-title">
            <h4 id="crm-h">Details</h4>
            {canEdit && (
              <button type="button" className="link" onClick={() => setEditing(true)}>
                Edit
              </button>
            )}
          </div>
          <dl className="fields">
            <dt>Email</dt>
            <dd>{c.email ?? '—'}</dd>
            <dt>Company</dt>
            <dd>{c.company ?? '—'}</dd>
            <dt>Notes</dt>
            <dd className="notes">{c.notes ?? '—'}</dd>
          </dl>
        </section>
      )}
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

function EditForm({ card, onDone }: { card: Card; onDone(): void }) {
  const c = card.contact;
  const [form, setForm] = useState({ name: c.name, phone: c.phone, email: c.email ?? '', company: c.company ?? '', notes: c.notes ?? '' });
  const [update, updating] = useUpdateContactMutation();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const patch: ContactPatch = { name: form.name.trim(), phone: form.phone.trim(), email: form.email.trim() || null, company: form.company.trim() || null, notes: form.notes.trim() || null };
    const r = await update({ id: c.id, patch });
    if (!('error' in r)) onDone();
  };
  const field = (k: keyof typeof form, label: string, type = 'text') => (
    <label>
      {label}
      {k === 'notes' ? (
        <textarea value={form[k]} onChange={(e) => setForm({ ...form, [k]: e.target.value })} rows={3} />
      ) : (
        <input type={type} value={form[k]} onChange={(e) => setForm({ ...form, [k]: e.target.value })} required={k === 'name' || k === 'phone'} />
      )}
    </label>
  );
  return (
    <form className="card-section edit-form" onSubmit={submit} aria-label="Edit contact">
      {field('name', 'Name')}
      {field('phone', 'Phone', 'tel')}
      {field('email', 'Email', 'email')}
      {field('company', 'Company')}
      {field('notes', 'Notes')}
      {updating.error && (
        <p role="alert" className="error">
          {errorMessage(updating.error)}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={updating.isLoading}>
          Save
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
