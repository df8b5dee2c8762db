import { useState, type FormEvent } from 'react';
import { errorMessage } from '../../api/http';
import { useSession } from '../../api/session';
import { useGetSystemQuery } from '../../api/system.api';
import { useCreateDeviceMutation, useListDevicesQuery, type Device } from './devices.api';
import { DeviceCard } from './device-card';
import './devices.css';

/** Where a person links their WhatsApp (QR or pairing code) and looks after the numbers they work. */
export default function DevicesPage() {
  const session = useSession()!;
  const { data, error, isLoading } = useListDevicesQuery();
  const { data: system } = useGetSystemQuery();
  const [create, creating] = useCreateDeviceMutation();
  const [name, setName] = useState('');
  const [engine, setEngine] = useState<Device['engine'] | ''>('');
  const canPair = session.user.role !== 'viewer';
  const engines = system?.engines ?? [];

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void create({ name: name.trim(), ...(engine ? { engine } : {}) }).then((r) => !('error' in r) && setName(''));
  };

  return (
    <main className="page devices-page" aria-labelledby="devices-title">
      <header className="page-head">
        <h1 id="devices-title">Devices</h1>
        <p className="muted">Link a WhatsApp account by scanning its QR code. Each device brings its chats and history.</p>
      </header>
      {system?.demo && (
        <p className="demo-note" role="note" data-testid="demo-note">
          This is a demo: devices pair with the built-in <strong>engine simulator</strong>, not with real WhatsApp.
          {system.simulatorUrl && (
            <>
              {' '}
              Scan the QR code or write as a contact on the{' '}
              <a href={system.simulatorUrl} target="_blank" rel="noreferrer">
                simulator page
              </a>
              .
            </>
          )}
        </p>
      )}
      {canPair && (
        <form className="add-device card" onSubmit={submit} aria-label="Add a device">
          <label>
            New device name
            <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={80} placeholder="e.g. Sales phone" />
          </label>
          {engines.length > 1 && (
            <label>
              Engine
              <select value={engine} onChange={(e) => setEngine(e.target.value as Device['engine'] | '')}>
                <option value="">Default</option>
                {engines.map((x) => (
                  <option key={x} value={x}>
                    {x.toUpperCase()}
                  </option>
                ))}
              </select>
            </label>
          )}
          <button type="submit" className="primary" disabled={creating.isLoading}>
            {creating.isLoading ? 'Adding…' : 'Add device'}
          </button>
          {creating.error && (
            <p role="alert" className="error">
              {errorMessage(creating.error)}
            </p>
          )}
        </form>
      )}
      {error && <p className="error">{errorMessage(error)}</p>}
      {isLoading && <p role="status">Loading devices…</p>}
      {data && data.items.length === 0 && <p className="muted">No devices yet.</p>}
      <div className="device-grid">
        {data?.items.map((d) => (
          <DeviceCard key={d.id} device={d} userId={session.user.id} isAdmin={session.user.role === 'admin'} />
        ))}
      </div>
    </main>
  );
}
