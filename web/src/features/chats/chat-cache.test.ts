import { describe, expect, it } from 'vitest';
import { applyChatUpdate, patchMessage, upsertMessage } from './chat-cache';
import type { Chat, Message } from './chat.types';
import { buildRows, withUnreadDivider } from './message-rows';
import { linkify } from './linkify';

const msg = (id: number, at: string, over: Partial<Message> = {}): Message => ({
  id, chatId: 1, deviceId: 'd', engineMessageId: null, clientId: null, direction: 'in', from: 'x@s.whatsapp.net', senderName: null, kind: 'message', type: 'text', body: `m${id}`,
  content: null, media: null, replyTo: null, status: 'received', error: null, lastError: null, nextAttemptAt: null, sentAt: at, editedAt: null, revoked: false, ...over,
});
const chat = (id: number, at: string, over: Partial<Chat> = {}): Chat => ({
  id, deviceId: 'd', jid: `${id}@s.whatsapp.net`, name: `C${id}`, isGroup: false, lastMessageAt: at, lastMessageId: null, lastMessagePreview: '', unreadCount: 0,
  access: 'owner', favorite: false, crm: null, ...over,
});

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
    expect(rows.map((r) => (r.kind === 'msg' ? r.message.id : r.label))).toEqual([expect.any(String), 1, 2, 'Today', 3]);
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

describe('conversation slices', () => {
  it('when a live message arrives in a slice opened around a search hit, then it stays out until the slice reaches the newest', () => {
    const around = { pages: [{ items: [msg(5, '2026-01-01T10:05:00Z'), msg(4, '2026-01-01T10:04:00Z')], nextCursor: 'b', before: 'b', after: 'a' }], pageParams: [null] };
    upsertMessage(around, msg(9, '2026-01-02T10:00:00Z'));
    expect(around.pages[0]!.items.map((m) => m.id)).toEqual([5, 4]);
    const newest = { pages: [{ items: [msg(5, '2026-01-01T10:05:00Z')], nextCursor: null, before: null, after: null }], pageParams: [null] };
    upsertMessage(newest, msg(9, '2026-01-02T10:00:00Z'));
    expect(newest.pages[0]!.items.map((m) => m.id)).toEqual([9, 5]);
  });

  it('when a chat opens with 2 unread, then the divider sits before the second newest incoming message', () => {
    const rows = buildRows([{ items: [msg(4, '2026-01-01T10:04:00Z'), msg(3, '2026-01-01T10:03:00Z', { direction: 'out' }), msg(2, '2026-01-01T10:02:00Z'), msg(1, '2026-01-01T10:01:00Z')], nextCursor: null }]);
    const withDivider = withUnreadDivider(rows, 2);
    expect(withDivider.map((r) => (r.kind === 'msg' ? r.message.id : r.kind))).toEqual(['day', 1, 'unread', 2, 3, 4]);
    expect(withUnreadDivider(rows, 0)).toBe(rows);
  });
});

describe('links in messages', () => {
  it('when a text holds addresses, then they become safe links without the sentence’s punctuation', () => {
    const parts = linkify('see https://example.com/a?b=1. and www.test.org, or (https://en.wikipedia.org/wiki/X_(y))');
    const links = parts.filter((p) => typeof p !== 'string') as { props: { href: string; rel: string; target: string; children: string } }[];
    expect(links.map((l) => [l.props.href, l.props.children])).toEqual([
      ['https://example.com/a?b=1', 'https://example.com/a?b=1'],
      ['https://www.test.org', 'www.test.org'],
      ['https://en.wikipedia.org/wiki/X_(y)', 'https://en.wikipedia.org/wiki/X_(y)'],
    ]);
    expect(links.every((l) => l.props.rel === 'noopener noreferrer nofollow' && l.props.target === '_blank')).toBe(true);
    expect(linkify('javascript:alert(1) plain')).toEqual(['javascript:alert(1) plain']);
  });
});

describe('send states', () => {
  it('when the send’s answer (pending) lands after its first failure (retrying), then the bubble keeps retrying and the reason', () => {
    const data = { pages: [{ items: [msg(7, '2026-01-01T10:01:00Z', { clientId: 'c', direction: 'out', status: 'retrying', error: 'engine_unreachable', lastError: 'engine_unreachable' })], nextCursor: null }], pageParams: [null] };
    upsertMessage(data, msg(7, '2026-01-01T10:01:00Z', { clientId: 'c', direction: 'out', status: 'pending', error: null, lastError: null }));
    expect(data.pages[0]!.items[0]).toMatchObject({ status: 'retrying', lastError: 'engine_unreachable' });
    patchMessage(data, { id: 7, status: 'sent', error: null, lastError: null });
    expect(data.pages[0]!.items[0]).toMatchObject({ status: 'sent', lastError: null });
  });
});
