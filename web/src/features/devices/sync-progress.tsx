import { useEffect, useState } from 'react';
import { errorMessage } from '../../api/http';
import { syncFraction, useGetSyncQuery, useStartSyncMutation, type Device } from './devices.api';

const n = (v: number | null | undefined) => (v ?? 0).toLocaleString();

/** The history import: a progress bar with counts and rate, live from sync.progress (and a 2 s poll while it runs). */
export function SyncProgress({ device }: { device: Device }) {
  const connected = device.status === 'connected';
  // The gateway starts the import just after the phone connects: asking at that very moment would
  // only get "no import yet" (a 404 in the console), so a device that connects while shown waits a little.
  const [ready, setReady] = useState(connected || device.status === 'disconnected');
  useEffect(() => {
    if (!connected || ready) return;
    const t = setTimeout(() => setReady(true), 1500);
    return () => clearTimeout(t);
  }, [connected, ready]);
  const { data: job } = useGetSyncQuery(device.id, { skip: !ready });
  const running = job?.status === 'running' || job?.status === 'queued';
  useGetSyncQuery(device.id, { skip: !running, pollingInterval: running ? 2000 : 0 });
  const [start, started] = useStartSyncMutation();
  if (!job && !connected) return null;

  const pct = job ? Math.round(syncFraction(job) * 100) : 0;
  return (
    <section className="sync" aria-label="History import">
      {job ? (
        <>
          <div className="sync-head">
            <strong>History import</strong>
            <span className={`sync-status sync-${job.status}`}>{job.status === 'done' ? 'Complete' : job.status === 'failed' ? 'Failed' : job.status === 'queued' ? 'Queued' : `${pct}%`}</span>
          </div>
          <progress max={100} value={pct} aria-label={`History import ${pct}% done`} data-testid="sync-progress" />
          <p className="sync-counts" data-testid="sync-counts">
            {n(job.doneMessages)}
            {job.totalMessages !== null ? ` of ${n(job.totalMessages)}` : ''} messages · {n(job.doneChats)}
            {job.totalChats !== null ? ` of ${n(job.totalChats)}` : ''} chats
            {job.ratePerSecond ? ` · ${n(job.ratePerSecond)} messages/s` : ''}
            {job.importedMessages ? ` · ${n(job.importedMessages)} new` : ''}
          </p>
          {job.phase === 'engine_history' && (
            <p className="muted" data-testid="sync-waiting">
              Receiving the history the phone sends; this ends when the engine says it is complete.
            </p>
          )}
          {job.error && <p className="error">{job.error}</p>}
        </>
      ) : (
        <p className="muted">No history imported yet.</p>
      )}
      {connected && !running && device.access !== 'viewer' && (
        <button type="button" onClick={() => void start(device.id)} disabled={started.isLoading}>
          {job ? 'Import history again' : 'Import history'}
        </button>
      )}
      {started.error && (
        <p role="alert" className="error">
          {errorMessage(started.error)}
        </p>
      )}
    </section>
  );
}
