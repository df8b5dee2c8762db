import { useState, type FormEvent } from 'react';
import { errorMessage } from '../../api/http';
import { ConfirmButton } from '../../shared/confirm-button';
import { useCreateTagMutation, useDeleteTagMutation, useListTagsQuery, useUpdateTagMutation, type Tag } from './contacts.api';

/** The organization's tags: everyone sees them and their counts; editors and admins create, rename, recolor and delete. */
export function TagsManager({ canEdit, onClose }: { canEdit: boolean; onClose(): void }) {
  const { data: tags, error } = useListTagsQuery();
  const [create, creating] = useCreateTagMutation();
  const [name, setName] = useState('');
  const [color, setColor] = useState('#1e88e5');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await create({ name: name.trim(), color });
    if (!('error' in r)) setName('');
  };
  return (
    <section className="tags-manager" aria-labelledby="tags-h">
      <h2 id="tags-h">Tags</h2>
      {error && <p className="error">{errorMessage(error)}</p>}
      {canEdit && (
        <form className="inline-form" onSubmit={submit} aria-label="Create a tag">
          <label>
            New tag
            <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={60} />
          </label>
          <label>
            Colour
            <input type="color" value={color} onChange={(e) => setColor(e.target.value)} />
          </label>
          <button type="submit" className="primary" disabled={creating.isLoading || !name.trim()}>
            Create
          </button>
          {creating.error && (
            <p role="alert" className="error">
              {errorMessage(creating.error)}
            </p>
          )}
        </form>
      )}
      {tags && tags.length === 0 && <p className="muted">No tags yet.</p>}
      <ul className="tag-rows">
        {tags?.map((t) => <TagRow key={t.id} tag={t} canEdit={canEdit} />)}
      </ul>
      <div className="actions">
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </section>
  );
}

function TagRow({ tag, canEdit }: { tag: Tag; canEdit: boolean }) {
  const [name, setName] = useState(tag.name);
  const [color, setColor] = useState(tag.color);
  const [update, updating] = useUpdateTagMutation();
  const [remove, removing] = useDeleteTagMutation();
  const changed = name.trim() !== tag.name || color !== tag.color;
  const count = `${tag.contactCount ?? 0} contact${tag.contactCount === 1 ? '' : 's'}`;
  if (!canEdit)
    return (
      <li className="tag-row">
        <span className="tag" style={{ background: `${tag.color}22`, color: tag.color, borderColor: tag.color }}>
          {tag.name}
        </span>
        <span className="muted">{count}</span>
      </li>
    );
  return (
    <li className="tag-row">
      <form
        className="inline-form"
        aria-label={`Tag ${tag.name}`}
        onSubmit={(e) => {
          e.preventDefault();
          void update({ id: tag.id, ...(name.trim() !== tag.name ? { name: name.trim() } : {}), ...(color !== tag.color ? { color } : {}) });
        }}
      >
        <label className="sr-only" htmlFor={`tag-name-${tag.id}`}>
          Name of {tag.name}
        </label>
        <input id={`tag-name-${tag.id}`} value={name} onChange={(e) => setName(e.target.value)} required maxLength={60} className="tag-name-input" />
        <label className="sr-only" htmlFor={`tag-color-${tag.id}`}>
          Colour of {tag.name}
        </label>
        <input id={`tag-color-${tag.id}`} type="color" value={color} onChange={(e) => setColor(e.target.value)} />
        <span className="muted tag-count">{count}</span>
        {changed && (
          <button type="submit" disabled={updating.isLoading || !name.trim()}>
            Save
          </button>
        )}
        <ConfirmButton confirm={`Delete ${tag.name}? It leaves ${count}.`} onConfirm={() => void remove(tag.id)} disabled={removing.isLoading}>
          Delete
        </ConfirmButton>
      </form>
      {(updating.error || removing.error) && (
        <p role="alert" className="error">
          {errorMessage(updating.error ?? removing.error)}
        </p>
      )}
    </li>
  );
}
