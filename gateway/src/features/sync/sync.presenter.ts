import type { SyncJobRow } from './sync.repository.js';

export function presentSyncJob(j: SyncJobRow) {
  const end = j.finished_at ?? new Date();
  const seconds = j.started_at ? (end.getTime() - j.started_at.getTime()) / 1000 : 0;
  const open = j.status === 'queued' || j.status === 'running';
  // Waiting for the engine's history pushes (parked on the queue meanwhile) is part of running.
  const waiting = open && j.cursor?.phase === 'engine_history';
  return {
    id: Number(j.id),
    status: waiting ? ('running' as const) : j.status,
    phase: open ? (waiting ? ('engine_history' as const) : ('engine_api' as const)) : null,
    trigger: j.trigger,
    totalChats: j.total_chats,
    doneChats: j.done_chats,
    totalMessages: j.total_messages,
    doneMessages: j.done_messages,
    importedMessages: j.imported_messages,
    ratePerSecond: seconds > 0 ? Math.round(j.done_messages / seconds) : null,
    error: j.error,
    startedAt: j.started_at ? j.started_at.toISOString() : null,
    finishedAt: j.finished_at ? j.finished_at.toISOString() : null,
  };
}
