import { useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { authFetch, withParams } from '../../api/http';
import { useSession } from '../../api/session';
import { SearchIcon, StarIcon } from '../../shared/icons';
import { useListTagsQuery, type ContactFilters } from './contacts.api';
import { ContactDetails } from './contact-details';
import { ContactForm } from './contact-form';
import { ContactsList } from './contacts-list';
import { CsvImport } from './csv-import';
import { TagsManager } from './tags-manager';
import './contacts.css';

type Pane = 'new' | 'import' | 'tags';
const PANES: string[] = ['new', 'import', 'tags'] satisfies Pane[];

/**
 * The organization's CRM: everyone reads it; editors and admins add, change, delete, import and
 * manage tags (the API enforces the same). The list is searched and filtered on the server.
 * /contacts/:id opens a contact, /contacts/new the "+" form, /contacts/import and /contacts/tags their panes.
 */
export default function ContactsPage() {
  const { contactId: param } = useParams();
  const navigate = useNavigate();
  const canEdit = useSession()!.user.role !== 'viewer';
  const [q, setQ] = useState('');
  const [tag, setTag] = useState('');
  const [favorite, setFavorite] = useState(false);
  const [exportError, setExportError] = useState<string | null>(null);
  const { data: tags } = useListTagsQuery();
  const filters: ContactFilters = { ...(q.trim() ? { q: q.trim() } : {}), ...(tag ? { tag } : {}), ...(favorite ? { favorite: true } : {}) };
  const pane = param && PANES.includes(param) ? (param as Pane) : null;
  const contactId = param && !pane ? param : null;
  const open = (p: string | null) => navigate(p ? `/contacts/${p}` : '/contacts');

  const exportCsv = async () => {
    setExportError(null);
    const res = await authFetch(withParams('/api/contacts/export', { q: filters.q, tag: filters.tag }));
    if (!res.ok) return setExportError(`Export failed (${res.status}).`);
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = `contacts-${new Date().toISOString().slice(0, 10)}.csv`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  return (
    <main className="contacts-page" data-pane={param ? 'detail' : 'list'} aria-labelledby="contacts-title">
      <div className="contacts-list-pane">
        <header className="contacts-head">
          <div className="contacts-title-row">
            <h1 id="contacts-title">Contacts</h1>
            {canEdit && (
              <button type="button" className="primary add-btn" onClick={() => open('new')} aria-label="Add contact" title="Add contact">
                +
              </button>
            )}
          </div>
          <div className="contacts-search">
            <SearchIcon />
            <label className="sr-only" htmlFor="contacts-q">
              Search contacts
            </label>
            <input id="contacts-q" type="search" placeholder="Search name, number, email, company" value={q} onChange={(e) => setQ(e.target.value)} maxLength={100} />
          </div>
          <div className="contacts-filters">
            <label className="sr-only" htmlFor="contacts-tag">
              Filter by tag
            </label>
            <select id="contacts-tag" value={tag} onChange={(e) => setTag(e.target.value)}>
              <option value="">All tags</option>
              {tags?.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
            <button type="button" className={`chip${favorite ? ' on' : ''}`} aria-pressed={favorite} onClick={() => setFavorite((f) => !f)}>
              <StarIcon filled={favorite} /> Favorites
            </button>
          </div>
          <div className="contacts-tools">
            {canEdit && (
              <button type="button" className="link" onClick={() => open('import')}>
                Import CSV
              </button>
            )}
            <button type="button" className="link" onClick={() => void exportCsv()}>
              Export CSV
            </button>
            <button type="button" className="link" onClick={() => open('tags')}>
              {canEdit ? 'Manage tags' : 'Tags'}
            </button>
          </div>
          {exportError && (
            <p role="alert" className="error">
              {exportError}
            </p>
          )}
        </header>
        <ContactsList filters={filters} selectedId={contactId} onOpen={(id) => open(id)} />
      </div>
      <div className="contacts-detail-pane">
        {pane === 'new' && canEdit ? (
          <section className="contact-details">
            <ContactForm canManageTags onDone={(c) => open(c.id)} onCancel={() => open(null)} />
          </section>
        ) : pane === 'import' && canEdit ? (
          <CsvImport onClose={() => open(null)} />
        ) : pane === 'tags' ? (
          <TagsManager canEdit={canEdit} onClose={() => open(null)} />
        ) : contactId ? (
          <ContactDetails key={contactId} id={contactId} canEdit={canEdit} onBack={() => open(null)} onDeleted={() => open(null)} />
        ) : pane ? (
          <p className="pad muted">Only editors and administrators change contacts.</p>
        ) : (
          <div className="contacts-empty-detail">
            <p className="muted">Choose a contact to see their details and chats{canEdit ? ', or add one with +' : ''}.</p>
          </div>
        )}
      </div>
    </main>
  );
}
