import { useState } from 'react';
import { errorMessage } from '../../api/http';
import { ConfirmButton } from '../../shared/confirm-button';
import { phoneOf } from '../../shared/format';
import { useDeleteDeviceMutation, useLogoutDeviceMutation, useRenameDeviceMutation, type Device } from './devices.api';
import { DeviceMembers } from './device-members';
import { QrPairing } from './qr-pairing';
import { StatusBadge, statusNote } from './status-badge';
import { SyncProgress } from './sync-progress';

export function DeviceCard({ device, userId, isAdmin }: { device: Device; userId: string; isAdmin: boolean }) {
  const canManage = device.access === 'owner' || device.access === 'admin' || (isAdmin && device.ownerId !== userId);
  const isOwner = device.ownerId === userId;
  const [rename, renaming] = useRenameDeviceMutation();
  const [logoutDevice, loggingOut] = useLogoutDeviceMutation();
  const [remove, removing] = useDeleteDeviceMutation();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(device.name);
  const [showMembers, setShowMembers] = useState(false);
  const err = renaming.error ?? loggingOut.error ?? removing.error;

  return (
    <article className="device-card" aria-labelledby={`dev-${device.id}`} data-testid="device-card">
      <header>
        <div>
          {editing ? (
            <form
              className="inline-form"
              onSubmit={(e) => {
                e.preventDefault();
                void rename({ id: device.id, name }).then(() => setEditing(false));
              }}
            >
              <label className="sr-only" htmlFor={`name-${device.id}`}>
                Device name
              </label>
              <input id={`name-${device.id}`} value={name} onChange={(e) => setName(e.target.value)} autoFocus required maxLength={80} />
              <button type="submit">Save</button>
              <button type="button" onClick={() => setEditing(false)}>
                Cancel
              </button>
            </form>
          ) : (
            <h2 id={`dev-${device.id}`}>{device.name}</h2>
          )}
          <p className="muted">
            {device.phone ? phoneOf(device.phone) : 'No phone linked yet'}
            {device.pushName ? ` · ${device.pushName}` : ''} · {device.engine.toUpperCase()} · {isOwner ? 'yours' : device.access}
          </p>
        </div>
        <StatusBadge status={device.status} statusDetail={device.statusDetail} engineReachable={device.engineReachable} />
      </header>
      {statusNote(device) && (
        <p className="status-note" role="status">
          {statusNote(device)}
        </p>
      )}

      {isOwner && <QrPairing device={device} />}
      {!isOwner && (device.status === 'qr' || device.status === 'starting') && <p className="muted">Waiting for its owner to scan the QR code.</p>}
      <SyncProgress device={device} />

      <div className="actions">
        {canManage && !editing && (
          <button type="button" onClick={() => setEditing(true)}>
            Rename
          </button>
        )}
        <button type="button" aria-expanded={showMembers} onClick={() => setShowMembers((s) => !s)}>
          Members
        </button>
        {canManage && device.status === 'connected' && (
          <ConfirmButton confirm="Unlink the phone? Stored history stays." onConfirm={() => void logoutDevice(device.id)} className="warn">
            De-register
          </ConfirmButton>
        )}
        {canManage && (
          <ConfirmButton confirm="Delete this device and its engine session?" onConfirm={() => void remove(device.id)}>
            Delete
          </ConfirmButton>
        )}
      </div>
      {err && (
        <p role="alert" className="error">
          {errorMessage(err)}
        </p>
      )}
      {showMembers && <DeviceMembers device={device} canManage={canManage} />}
    </article>
  );
}
