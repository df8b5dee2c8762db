import { useState, type FormEvent } from 'react';
import { errorMessage } from '../../api/http';
import { useCreateTagMutation, useListTagsQuery, useSetContactTagsMutation, type Tag } from './contacts.api';

/** Tags in their colors; editors add one from the organization's list or create a new one. */
export function TagPicker({ contactId, tags, canEdit }: { contactId: string; tags: Tag[]; canEdit: boolean }) {
  const [open, setOpen] = useState(false);
  const { data: all } = useListTagsQuery(undefined, { skip: !open });
  const [setTags, saving] = useSetContactTagsMutation();
  const [createTag, creating] = useCreateTagMutation();
  const [name, setName] = useState('');
  const [color, setColor] = useState('#1e88e5');
  const ids = tags.map((t) => t.id);
  const save = (next: string[]) => void setTags({ id: contactId, tagIds: next });

  const submitNew = async (e: FormEvent) => {
    e.preventDefault();
    const r = await createTag({ name: name.trim(), color });
    if ('data' in r && r.data) {
      save([...ids, r.data.id]);
      setName('');
    }
  };
  return (
    <div className="tags">
      <ul className="tag-list" aria-label="Tags" data-testid="contact-tags">
        {tags.map((t) => (
          <li key={t.id} className="tag" style={{ background: `${t.color}22`, color: t.color, borderColor: t.color }}>
            <span className="tag-swatch" style={{ background: t.color }} aria-hidden="true" />
            {t.name}
            {canEdit && (
              <button type="button" className="tag-x" onClick={() => save(ids.filter((x) => x !== t.id))} aria-label={`Remove tag ${t.name}`}>
                ×
              </button>
            )}
          </li>
        ))}
        {tags.length === 0 && <li className="muted">No tags</li>}
      </ul>
      {canEdit && (
        <button type="button" className="link" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
          {open ? 'Done' : 'Add tag'}
        </button>
      )}
      {open && (
        <div className="tag-menu">
          <ul aria-label="Available tags">
            {(all ?? [])
              .filter((t) => !ids.includes(t.id))
              .map((t) => (
                <li key={t.id}>
                  <button type="button" className="tag-choice" onClick={() => save([...ids, t.id])}>
                    <span className="tag-swatch" style={{ background: t.color }} aria-hidden="true" /> {t.name}
                  </button>
                </li>
              ))}
          </ul>
          <form className="inline-form" onSubmit={submitNew}>
            <label>
              New tag
              <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={60} />
            </label>
            <label>
              Color
              <input type="color" value={color} onChange={(e) => setColor(e.target.value)} />
            </label>
            <button type="submit" disabled={creating.isLoading}>
              Create
            </button>
          </form>
        </div>
      )}
      {(saving.error || creating.error) && (
        <p role="alert" className="error">
          {errorMessage(saving.error ?? creating.error)}
        </p>
      )}
    </div>
  );
}
