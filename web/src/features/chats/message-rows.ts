import { dayKey, dayLabel } from '../../shared/format';
import type { Message, Page } from './chat.types';

export type Row = { kind: 'day'; key: string; label: string } | { kind: 'unread'; key: string; label: string } | { kind: 'msg'; key: string; message: Message; grouped: boolean };

/** Pages (newest first) → rows oldest first with a separator before each new day. */
export function buildRows(pages: Page<Message>[] | undefined, now = new Date()): Row[] {
  const all: Message[] = [];
  for (const p of pages ?? []) for (const m of p.items) all.push(m);
  const seen = new Set<string>();
  const rows: Row[] = [];
  let lastDay = '';
  let prev: Message | null = null;
  for (let i = all.length - 1; i >= 0; i--) {
    const m = all[i]!;
    const key = m.clientId ? `c:${m.clientId}` : `m:${m.id}`;
    if (seen.has(key)) continue; // a page boundary moved while new messages arrived
    seen.add(key);
    const day = dayKey(m.sentAt);
    if (day !== lastDay) {
      rows.push({ kind: 'day', key: `d:${day}`, label: dayLabel(m.sentAt, now) });
      lastDay = day;
      prev = null;
    }
    const grouped = !!prev && prev.direction === m.direction && prev.from === m.from && Date.parse(m.sentAt) - Date.parse(prev.sentAt) < 5 * 60_000;
    rows.push({ kind: 'msg', key, message: m, grouped });
    prev = m;
  }
  return rows;
}

/** The message a reply quotes, among those loaded (by our id or the engine's). */
export function findQuoted(rows: Row[], replyTo: string | number | null): Message | null {
  if (replyTo === null || replyTo === undefined) return null;
  for (const r of rows) if (r.kind === 'msg' && (r.message.id === replyTo || r.message.engineMessageId === replyTo || String(r.message.id) === String(replyTo))) return r.message;
  return null;
}

/**
 * Puts the "new messages" divider before the first of the `unread` newest incoming messages (the
 * count the chat had when it was opened). Nothing when none are unread or they are not all loaded.
 */
export function withUnreadDivider(rows: Row[], unread: number): Row[] {
  if (unread <= 0) return rows;
  let seen = 0;
  for (let i = rows.length - 1; i >= 0; i--) {
    const r = rows[i]!;
    if (r.kind === 'msg' && r.message.direction === 'in' && ++seen === unread) {
      const label = `${unread} unread message${unread === 1 ? '' : 's'}`;
      return [...rows.slice(0, i), { kind: 'unread', key: 'unread', label }, ...rows.slice(i)];
    }
  }
  return rows;
}
