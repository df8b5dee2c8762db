import { useState, type FormEvent } from 'react';
import { errorMessage } from '../../api/http';
import { useAddMemberMutation, useGetMembersQuery, useListColleaguesQuery, useRemoveMemberMutation, type Device } from './devices.api';

/** People who work this number with its owner: agents answer, viewers read. */
export function DeviceMembers({ device, canManage }: { device: Device; canManage: boolean }) {
  const { data, error } = useGetMembersQuery(device.id);
  const { data: colleagues } = useListColleaguesQuery(undefined, { skip: !canManage });
  const [add, adding] = useAddMemberMutation();
  const [remove] = useRemoveMemberMutation();
  const [userId, setUserId] = useState('');
  const [role, setRole] = useState<'agent' | 'viewer'>('agent');
  const members = data?.items ?? [];
  const candidates = (colleagues?.items ?? []).filter((u) => u.id !== device.ownerId && !members.some((m) => m.userId === u.id));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (userId) void add({ id: device.id, userId, role }).then((r) => !('error' in r) && setUserId(''));
  };
  return (
    <section className="members" aria-label={`Members of ${device.name}`}>
      <h3>Members</h3>
      {error && <p className="error">{errorMessage(error)}</p>}
      {members.length === 0 ? (
        <p className="muted">Only the owner works this number.</p>
      ) : (
        <ul className="member-list">
          {members.map((m) => (
            <li key={m.userId}>
              <span>
                <strong>{m.name}</strong> <span className="muted">{m.email}</span>
              </span>
              <span className="pill">{m.role}</span>
              {canManage && (
                <button type="button" className="link danger-text" onClick={() => void remove({ id: device.id, userId: m.userId })} aria-label={`Remove ${m.name}`}>
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {canManage && (
        <form className="inline-form" onSubmit={submit}>
          <label>
            Colleague
            <select value={userId} onChange={(e) => setUserId(e.target.value)} required>
              <option value="">Choose…</option>
              {candidates.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.name} ({u.email})
                </option>
              ))}
            </select>
          </label>
          <label>
            Role
            <select value={role} onChange={(e) => setRole(e.target.value as 'agent' | 'viewer')}>
              <option value="agent">Agent (reads and answers)</option>
              <option value="viewer">Viewer (reads)</option>
            </select>
          </label>
          <button type="submit" disabled={adding.isLoading}>
            Add member
          </button>
          {adding.error && (
            <p role="alert" className="error">
              {errorMessage(adding.error)}
            </p>
          )}
        </form>
      )}
    </section>
  );
}
