import type { SyncJobRow } from './sync.repository.js';

export function presentSyncJob(j: SyncJobRow) {
  const end = j.finished_at ?? new Date();
  const seconds = j.started_at ? (end.getTime() - j.started_at.getTime()) / 1000 : 0;
  return {
    id: Number(j.id),
    status: j.status,
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
