// Calls and group events become system lines in a chat's timeline (kind `system`). They are stored
// like messages, keyed by an id that is the same for every repeat of the same event, so duplicates
// and retries stay one line.
import { createHash } from 'node:crypto';
import type { EngineMessage, MessageContent, SystemType } from './engine.types.js';
import { isGroup } from './jid.js';

/** A stable id for an event without one of its own: its type, chat, time and who. */
export function systemId(type: SystemType, chatJid: string, at: Date, who: string[] = [], extra = ''): string {
  const h = createHash('sha1').update([type, chatJid, at.toISOString(), ...[...who].sort(), extra].join('|')).digest('hex');
  return `SYS${h.slice(0, 29).toUpperCase()}`;
}

export function systemLine(o: { id: string; type: SystemType; chatJid: string; at: Date; actor?: string | null; content: MessageContent; fromMe?: boolean }): EngineMessage {
  return {
    id: o.id,
    kind: 'system',
    engineFullId: null,
    chatJid: o.chatJid,
    senderJid: o.actor ?? null,
    fromMe: !!o.fromMe,
    timestamp: o.at,
    type: o.type,
    body: null,
    content: o.content,
    media: null,
    replyToId: null,
    pushName: null,
    source: null,
    ack: null,
    isGroup: isGroup(o.chatJid),
  };
}

/**
 * A group membership change → its line. `idAt` replaces `at` in the id when the engine gives no time
 * of its own (then `at` is "now", which differs on each retry).
 */
export function groupLine(type: SystemType, groupJid: string, at: Date, participants: string[], actor: string | null, extra: Partial<Extract<MessageContent, { type: 'group' }>> = {}, idAt?: Date) {
  return systemLine({
    id: systemId(type, groupJid, idAt ?? at, participants, `${extra.subject ?? ''}|${extra.description ?? ''}`),
    type,
    chatJid: groupJid,
    at,
    actor,
    content: { type: 'group', actor, participants, ...extra },
  });
}

/** How far a call got: its line only ever moves up (offered → declined or answered), whatever the delivery order. */
export const CALL_RANK: Record<string, number> = { call_missed: 1, call_declined: 2, call_answered: 3 };

/**
 * A call's line, one per call id (`CALL<id>`): offered and never answered reads "missed", answered
 * "Voice call" / "Video call", declined "declined". Repeats and late events land on the same row,
 * which keeps the highest state (ingest) and the offer's time.
 */
export function callLine(callId: string, type: 'call_missed' | 'call_answered' | 'call_declined', chatJid: string, actor: string | null, at: Date, video: boolean, group: boolean) {
  return systemLine({ id: `CALL${callId}`, type, chatJid, at, actor, content: { type: 'call', video, group } });
}
