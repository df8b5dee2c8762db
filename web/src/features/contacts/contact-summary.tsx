import type { ReactNode } from 'react';
import { useGetFavoritesQuery } from '../../api/favorites.api';
import { Avatar } from '../../shared/avatar';
import { StarIcon } from '../../shared/icons';
import { useSetContactFavoriteMutation, type Contact } from './contacts.api';
import { formatPhone } from './phone';
import { TagPicker } from './tag-picker';

/**
 * What a contact card shows wherever it appears (the contacts page, a chat's contact panel): who it is,
 * the actions the place offers (`actions`), the pin, tags and the CRM fields. `level` is the heading
 * level of the name (sections one below), so the card fits the page's outline.
 */
export function ContactSummary({ contact: c, canEdit, level, actions }: { contact: Contact; canEdit: boolean; level: 2 | 3; actions?: ReactNode }) {
  const Name = `h${level}` as 'h2' | 'h3';
  const Section = `h${level + 1}` as 'h3' | 'h4';
  const [pin, pinning] = useSetContactFavoriteMutation();
  const { data: favs } = useGetFavoritesQuery();
  // While a toggle is on its way, show what it asked for.
  const on = pinning.isLoading && pinning.originalArgs ? pinning.originalArgs.on : !!favs?.items.some((f) => f.contact?.id === c.id);
  const ids = { name: `contact-name-${c.id}`, tags: `contact-tags-${c.id}`, fields: `contact-fields-${c.id}` };

  return (
    <>
      <div className="identity">
        <Avatar name={c.name} size={80} />
        <Name id={ids.name} data-testid="contact-name">
          {c.name}
        </Name>
        <p className="muted">{formatPhone(c.phone)}</p>
        <div className="actions center">
          {actions}
          <button type="button" className={`pin${on ? ' on' : ''}`} aria-pressed={on} disabled={pinning.isLoading} onClick={() => void pin({ id: c.id, on: !on })} data-testid="pin-contact">
            <StarIcon filled={on} /> {on ? 'Pinned' : 'Pin to favorites'}
          </button>
        </div>
      </div>
      <section className="card-section" aria-labelledby={ids.tags}>
        <Section id={ids.tags}>Tags</Section>
        <TagPicker contactId={c.id} tags={c.tags} canEdit={canEdit} />
      </section>
      <section className="card-section" aria-labelledby={ids.fields}>
        <Section id={ids.fields}>Details</Section>
        <dl className="fields">
          <dt>Email</dt>
          <dd>{c.email ? <a href={`mailto:${c.email}`}>{c.email}</a> : '—'}</dd>
          <dt>Company</dt>
          <dd>{c.company ?? '—'}</dd>
          <dt>Notes</dt>
          <dd className="notes">{c.notes ?? '—'}</dd>
        </dl>
      </section>
    </>
  );
}
