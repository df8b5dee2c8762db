import { describe, expect, it } from 'vitest';
import { applyChatUpdate, patchMessage, upsertMessage } from './chat-cache';
import type { Chat, Message } from './chat.types';
import { buildRows } from './message-rows';

const msg = (id: number, at: string, over: Partial<Message> = {}): Message => ({
  id, chatId: 1, deviceId: 'd', clientId: null, direction: 'in', from: 'x@s.whatsapp.net', senderName: null, type: 'text', body: `m${id}`,
  media: null, replyTo: null, status: 'received', error: null, sentAt: at, editedAt: null, revoked: false, ...over,
});
const chat = (id: number, at: string, over: Partial<Chat> = {}): Chat => ({ id, deviceId: 'd', jid: `${id}@s.whatsapp.net`, name: `C${id}`, lastMessageAt: at, lastMessagePreview: '', unreadCount: 0, ...over });

describe('message cache', () => {
  it('when the server confirms an optimistic message, then it replaces the pending copy by clientId', () => {
    const data = { pages: [{ items: [msg(1, '2026-01-01T10:00:00Z')], nextCursor: null }], pageParams: [null] };
    upsertMessage(data, msg(-5, '2026-01-01T10:01:00Z', { clientId: 'c1', direction: 'out', status: 'pending' }));
    upsertMessage(data, msg(7, '2026-01-01T10:01:00Z', { clientId: 'c1', direction: 'out', status: 'sent' }));
    expect(data.pages[0]!.items.map((m) => [m.id, m.status])).toEqual([[7, 'sent'], [1, 'received']]);
  });

  it('when a late "sent" arrives after "read", then the tick does not step back', () => {
    const data = { pages: [{ items: [msg(7, '2026-01-01T10:01:00Z', { direction: 'out', status: 'read' })], nextCursor: null }], pageParams: [null] };
    patchMessage(data, { id: 7, status: 'sent' });
    expect(data.pages[0]!.items[0]!.status).toBe('read');
    patchMessage(data, { id: 7, status: 'failed' });
    expect(data.pages[0]!.items[0]!.status).toBe('failed');
  });

  it('when messages span days, then rows run oldest first with one separator per day', () => {
    const rows = buildRows([{ items: [msg(3, '2026-01-02T10:00:00Z'), msg(2, '2026-01-01T10:04:00Z'), msg(1, '2026-01-01T10:00:00Z')], nextCursor: null }], new Date('2026-01-02T12:00:00Z'));
    expect(rows.map((r) => (r.kind === 'day' ? r.label : r.message.id))).toEqual([expect.any(String), 1, 2, 'Today', 3]);
    expect(rows[2]!.kind === 'msg' && rows[2]!.grouped).toBe(true);
  });
});

describe('chat list cache', () => {
  it('when a chat gets a new message, then it moves to the top', () => {
    const data = { pages: [{ items: [chat(1, '2026-01-02T00:00:00Z'), chat(2, '2026-01-01T00:00:00Z')], nextCursor: null }], pageParams: [null] };
    applyChatUpdate(data, chat(2, '2026-01-03T00:00:00Z', { unreadCount: 1 }), {});
    expect(data.pages[0]!.items.map((c) => [c.id, c.unreadCount])).toEqual([[2, 1], [1, 0]]);
  });

  it('when the list shows unread chats only, then a chat read elsewhere leaves it', () => {
    const data = { pages: [{ items: [chat(1, '2026-01-02T00:00:00Z', { unreadCount: 2 })], nextCursor: null }], pageParams: [null] };
    applyChatUpdate(data, chat(1, '2026-01-02T00:00:00Z', { unreadCount: 0 }), { unread: true });
    expect(data.pages[0]!.items).toHaveLength(0);
  });
});
