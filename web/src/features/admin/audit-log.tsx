import { useState } from 'react';
import { errorMessage } from '../../api/http';
import { useGetAuditInfiniteQuery, useListUsersQuery, type AuditEntry, type AuditFilters } from './admin.api';

/** Families people filter by; the API takes any action or `family.*`. */
const ACTIONS: [string, string][] = [
  ['', 'All actions'],
  ['auth.*', 'Sign-ins'],
  ['auth.login_failed', 'Failed sign-ins'],
  ['user.*', 'Users'],
  ['contact.*', 'Contacts'],
  ['tag.*', 'Tags'],
  ['device.*', 'Devices'],
  ['chat.*', 'Chat shares'],
  ['message.*', 'Messages'],
];

/** Plain words for the actions the gateway records; anything else shows as recorded. */
const WORDS: Record<string, string> = {
  'auth.login': 'Signed in',
  'auth.login_failed': 'Failed sign-in',
  'org.register': 'Registered the organization',
  'user.create': 'Created user',
  'user.create.external': 'Joined through the identity provider',
  'user.update': 'Changed user',
  'user.delete': 'Deactivated user',
  'user.password.change': 'Changed own password',
  'user.password.reset': 'Reset password of',
  'contact.create': 'Added contact',
  'contact.update': 'Changed contact',
  'contact.delete': 'Deleted contact',
  'contact.tags': 'Changed tags of',
  'contact.import': 'Imported contacts',
  'tag.create': 'Created tag',
  'tag.update': 'Changed tag',
  'tag.delete': 'Deleted tag',
  'device.create': 'Added device',
  'device.rename': 'Renamed device',
  'device.logout': 'Unlinked device',
  'device.delete': 'Deleted device',
  'device.member.set': 'Set a member of device',
  'device.member.remove': 'Removed a member of device',
  'chat.share': 'Shared chat',
  'chat.unshare': 'Stopped sharing chat',
  'message.delete': 'Deleted message',
  'legacy.import': 'Imported legacy data',
};

/** A date input's day → the ISO start of that day in the person's time zone. */
const dayStart = (d: string, plusDays = 0) => {
  const t = new Date(`${d}T00:00:00`);
  t.setDate(t.getDate() + plusDays);
  return t.toISOString();
};

function target(a: AuditEntry): string {
  if (a.targetName) return a.targetName;
  if (a.action === 'contact.import' && a.details) return `${a.details.inserted ?? 0} new, ${a.details.updated ?? 0} updated`;
  if (!a.targetId) return '';
  // Chats and messages by number only: admins may not see them.
  if (a.targetType === 'chat' || a.targetType === 'message') return `${a.targetType} #${a.targetId}`;
  return `a ${a.targetType} that no longer exists`;
}

export function AuditLog() {
  const [actorId, setActorId] = useState('');
  const [action, setAction] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const filters: AuditFilters = {
    ...(actorId ? { actorId } : {}),
    ...(action ? { action } : {}),
    ...(from ? { from: dayStart(from) } : {}),
    ...(to ? { to: dayStart(to, 1) } : {}),
  };
  const { data, error, hasNextPage, fetchNextPage, isFetchingNextPage, isFetching } = useGetAuditInfiniteQuery(filters);
  const { data: users } = useListUsersQuery({});
  const rows = data?.pages.flatMap((p) => p.items) ?? [];
  const people = [...(users?.items ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  return (
    <div data-testid="audit-log" className="audit">
      <form className="audit-filters" aria-label="Filter the audit log" onSubmit={(e) => e.preventDefault()}>
        <label>
          By
          <select value={actorId} onChange={(e) => setActorId(e.target.value)}>
            <option value="">Anyone</option>
            {people.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Action
          <select value={action} onChange={(e) => setAction(e.target.value)}>
            {ACTIONS.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          From
          <input type="date" value={from} max={to || undefined} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label>
          To
          <input type="date" value={to} min={from || undefined} onChange={(e) => setTo(e.target.value)} />
        </label>
        {(actorId || action || from || to) && (
          <button type="button" className="link" onClick={() => (setActorId(''), setAction(''), setFrom(''), setTo(''))}>
            Clear filters
          </button>
        )}
      </form>
      {error && <p className="error">{errorMessage(error)}</p>}
      <table className="table audit-table">
        <caption className="sr-only">Audit log, newest first</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">What</th>
            <th scope="col">Target</th>
          </tr>
        </thead>
        <tbody aria-busy={isFetching}>
          {rows.map((a) => (
            <tr key={a.id} data-testid="audit-entry">
              <td data-label="When">
                <time dateTime={a.at}>{new Date(a.at).toLocaleString()}</time>
              </td>
              <td data-label="Who">{a.actorName ?? (a.action === 'auth.login_failed' ? 'someone' : a.actorId ? 'a former user' : 'system')}</td>
              <td data-label="What" title={a.action}>
                {WORDS[a.action] ?? a.action}
              </td>
              <td data-label="Target">{target(a)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 && !error && !isFetching && <p className="muted">{Object.keys(filters).length ? 'Nothing matches these filters.' : 'Nothing recorded yet.'}</p>}
      {hasNextPage && (
        <button type="button" onClick={() => void fetchNextPage()} disabled={isFetchingNextPage}>
          {isFetchingNextPage ? 'Loading…' : 'Older entries'}
        </button>
      )}
    </div>
  );
}
