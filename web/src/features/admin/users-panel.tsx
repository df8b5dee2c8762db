import { useState, type FormEvent } from 'react';
import { errorMessage } from '../../api/http';
import { useSession } from '../../api/session';
import { ConfirmButton } from '../../shared/confirm-button';
import { useCreateUserMutation, useDeactivateUserMutation, useListUsersQuery, useSetPasswordMutation, useUpdateUserMutation, type OrgUser, type Role } from './admin.api';

const ROLES: Role[] = ['admin', 'editor', 'viewer'];
type SortKey = 'name' | 'email' | 'role';

/** A column header that sorts the table by itself (again: the other way round). */
function SortHeader({ k, label, sort, onSort }: { k: SortKey; label: string; sort: { key: SortKey; asc: boolean }; onSort(k: SortKey): void }) {
  const on = sort.key === k;
  return (
    <th scope="col" aria-sort={on ? (sort.asc ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className="sort" onClick={() => onSort(k)}>
        {label}
        <span aria-hidden="true">{on ? (sort.asc ? ' ▲' : ' ▼') : ''}</span>
      </button>
    </th>
  );
}

function PasswordReset({ user }: { user: OrgUser }) {
  const [open, setOpen] = useState(false);
  const [pw, setPw] = useState('');
  const [save, saving] = useSetPasswordMutation();
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)}>
        Reset password
      </button>
    );
  return (
    <form
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save({ id: user.id, newPassword: pw }).then((r) => !('error' in r) && (setOpen(false), setPw('')));
      }}
    >
      <label>
        New password for {user.name}
        <input type="password" autoComplete="new-password" minLength={10} required value={pw} onChange={(e) => setPw(e.target.value)} autoFocus />
      </label>
      <button type="submit" disabled={saving.isLoading}>
        Set
      </button>
      <button type="button" onClick={() => setOpen(false)}>
        Cancel
      </button>
      {saving.error && (
        <span role="alert" className="error">
          {errorMessage(saving.error)}
        </span>
      )}
    </form>
  );
}

export function UsersPanel() {
  const me = useSession()!.user;
  const [q, setQ] = useState('');
  const { data, error } = useListUsersQuery({ q: q.trim() || undefined });
  const [create, creating] = useCreateUserMutation();
  const [update, updating] = useUpdateUserMutation();
  const [deactivate, deactivating] = useDeactivateUserMutation();
  const [form, setForm] = useState({ name: '', email: '', role: 'editor' as Role, password: '' });
  const [created, setCreated] = useState<string | null>(null);
  const [sort, setSort] = useState<{ key: SortKey; asc: boolean }>({ key: 'name', asc: true });
  const onSort = (key: SortKey) => setSort((s) => ({ key, asc: s.key === key ? !s.asc : true }));
  const sorted = [...(data?.items ?? [])].sort((a, b) => (sort.asc ? 1 : -1) * (a[sort.key].localeCompare(b[sort.key]) || a.name.localeCompare(b.name)));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await create(form);
    if ('data' in r && r.data) {
      setCreated(`${r.data.name} can now sign in as ${r.data.email}.`);
      setForm({ name: '', email: '', role: 'editor', password: '' });
    }
  };
  const err = updating.error ?? deactivating.error;
  return (
    <>
      <form className="card add-user" onSubmit={submit} aria-label="Create a user">
        <h2>New user</h2>
        <label>
          Name
          <input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} required />
        </label>
        <label>
          Email
          <input type="email" value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} required />
        </label>
        <label>
          Role
          <select value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <label>
          Initial password
          <input type="password" autoComplete="new-password" minLength={10} value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} required />
        </label>
        <button type="submit" className="primary" disabled={creating.isLoading}>
          Create user
        </button>
        {creating.error && (
          <p role="alert" className="error">
            {errorMessage(creating.error)}
          </p>
        )}
        {created && <p role="status">{created}</p>}
      </form>
      <label className="filter">
        Find people
        <input type="search" value={q} onChange={(e) => setQ(e.target.value)} />
      </label>
      {(error || err) && (
        <p role="alert" className="error">
          {errorMessage(error ?? err)}
        </p>
      )}
      <table className="table users-table">
        <caption className="sr-only">Users of the organization</caption>
        <thead>
          <tr>
            <SortHeader k="name" label="Name" sort={sort} onSort={onSort} />
            <SortHeader k="email" label="Email" sort={sort} onSort={onSort} />
            <SortHeader k="role" label="Role" sort={sort} onSort={onSort} />
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((u) => (
            <tr key={u.id} data-testid="user-row">
              <td data-label="Name" className="user-name">
                {u.name}
              </td>
              <td data-label="Email" className="user-email">
                {u.email}
              </td>
              <td data-label="Role">
                <label className="sr-only" htmlFor={`role-${u.id}`}>
                  Role of {u.name}
                </label>
                <select id={`role-${u.id}`} value={u.role} disabled={u.id === me.id} onChange={(e) => void update({ id: u.id, role: e.target.value as Role })}>
                  {ROLES.map((r) => (
                    <option key={r}>{r}</option>
                  ))}
                </select>
              </td>
              <td className="actions-cell">
                <div className="row-actions">
                  <PasswordReset user={u} />
                  {u.id !== me.id && (
                    <ConfirmButton confirm={`Deactivate ${u.name}? Their sessions end.`} onConfirm={() => void deactivate(u.id)}>
                      Deactivate
                    </ConfirmButton>
                  )}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
