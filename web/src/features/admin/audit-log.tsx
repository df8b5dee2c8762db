import { errorMessage } from '../../api/http';
import { useGetAuditInfiniteQuery } from './admin.api';
import { useListUsersQuery } from './admin.api';

export function AuditLog() {
  const { data, error, hasNextPage, fetchNextPage, isFetchingNextPage } = useGetAuditInfiniteQuery();
  const { data: users } = useListUsersQuery({});
  const nameOf = (id: string | null) => (id ? (users?.items.find((u) => u.id === id)?.name ?? id.slice(0, 8)) : 'system');
  const rows = data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      {error && <p className="error">{errorMessage(error)}</p>}
      <table className="table">
        <caption className="sr-only">Audit log, newest first</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">What</th>
            <th scope="col">Target</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((a) => (
            <tr key={a.id}>
              <td>
                <time dateTime={a.at}>{new Date(a.at).toLocaleString()}</time>
              </td>
              <td>{nameOf(a.actorId)}</td>
              <td>
                <code>{a.action}</code>
              </td>
              <td>
                {a.targetType}
                {a.targetId ? ` ${a.targetType === 'user' ? nameOf(a.targetId) : a.targetId.slice(0, 12)}` : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 && !error && <p className="muted">Nothing recorded yet.</p>}
      {hasNextPage && (
        <button type="button" onClick={() => void fetchNextPage()} disabled={isFetchingNextPage}>
          {isFetchingNextPage ? 'Loading…' : 'Older entries'}
        </button>
      )}
    </>
  );
}
