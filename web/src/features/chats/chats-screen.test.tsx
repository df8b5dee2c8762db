import { beforeAll, describe, expect, it } from 'vitest';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { FakeSocket } from '../../test/fake-network';
import { alice, renderApp, signIn } from '../../test/render-app';
import type { Chat, Message } from './chat.types';

const now = new Date().toISOString();
const chat = (id: number, over: Partial<Chat> = {}): Chat => ({
  id, deviceId: 'dev', jid: `4917000000${id}@s.whatsapp.net`, name: `Person ${id}`, isGroup: false, lastMessageAt: now, lastMessageId: null,
  lastMessagePreview: `hello ${id}`, unreadCount: 0, access: 'owner', favorite: false, crm: null, ...over,
});
const message = (id: number, over: Partial<Message> = {}): Message => ({
  id, chatId: 1, deviceId: 'dev', engineMessageId: `E${id}`, clientId: null, direction: 'in', from: '49170000001@s.whatsapp.net', senderName: 'Person 1', kind: 'message',
  type: 'text', body: `message ${id}`, content: null, media: null, replyTo: null, status: 'received', error: null, lastError: null, nextAttemptAt: null, sentAt: now, editedAt: null, revoked: false, ...over,
});

function base({ chats = [chat(1, { unreadCount: 2 }), chat(2)], favorites = [] as unknown[], shared = [] as unknown[], messages = [message(1)] } = {}) {
  fakeApi.on('GET', '/api/system', { demo: false, simulatorUrl: null, engines: ['waha'] });
  fakeApi.on('GET', '/api/devices', { items: [] });
  fakeApi.on('GET', '/api/favorites', { items: [] });
  fakeApi.on('GET', '/api/chats', ({ url }: { url: URL }) => ({ items: url.searchParams.get('favorite') ? favorites : chats, nextCursor: null }));
  fakeApi.on('GET', '/api/shared-with-me', { items: shared, nextCursor: null });
  fakeApi.on('GET', '/api/chats/:id', ({ params }: { params: { id: string } }) => [...chats, ...(shared as { chat: { id: number } }[]).map((s) => s.chat)].find((c) => c.id === Number(params.id)));
  fakeApi.on('GET', '/api/chats/:id/messages', { items: messages, nextCursor: null });
  fakeApi.on('POST', '/api/chats/:id/read', { status: 204 });
  fakeApi.on('GET', '/api/contacts', { items: [], nextCursor: null });
}

// The chats screen is a lazy chunk: its first import (the test runner transforming it) can take longer
// on a busy machine than a `findBy` waits, so it is loaded once before the tests time anything.
beforeAll(async () => void (await import('../../app/chats-route')), 60_000);

const online = async () => {
  await waitFor(() => expect(FakeSocket.all.length).toBeGreaterThan(0));
  act(() => FakeSocket.last().open(100));
};

describe('chat list', () => {
  it('when there are favorites, then they are pinned in their own section above the other chats, with unread badges', async () => {
    base({ favorites: [chat(2, { favorite: true })] });
    signIn();
    renderApp('/chats');
    const fav = await screen.findByTestId('section-fav');
    expect(fav).toHaveTextContent('Favorites');
    const rows = await screen.findAllByTestId('chat-row');
    expect(rows.map((r) => [r.dataset.section, r.dataset.chatId])).toEqual([['fav', '2'], ['all', '1']]);
    expect(within(rows[1]!).getByTestId('unread-badge')).toHaveTextContent('2');
  });

  it('when a chat.updated event arrives, then the chat moves to the top with its new preview, without a reload', async () => {
    base();
    signIn();
    renderApp('/chats');
    await screen.findAllByTestId('chat-row');
    await online();
    act(() => FakeSocket.last().push({ seq: 101, type: 'chat.updated', data: chat(2, { lastMessageAt: new Date(Date.now() + 1000).toISOString(), lastMessagePreview: 'brand new', unreadCount: 1 }) }));
    await waitFor(() => expect(screen.getAllByTestId('chat-row')[0]).toHaveTextContent('brand new'));
  });

  it('when the arrow keys are pressed in the list, then focus moves from chat to chat', async () => {
    base();
    signIn();
    renderApp('/chats');
    const rows = await screen.findAllByTestId('chat-row');
    rows[0]!.focus();
    await userEvent.keyboard('{ArrowDown}');
    await waitFor(() => expect(document.activeElement).toBe(screen.getAllByTestId('chat-row')[1]));
  });
});

describe('conversation', () => {
  it('when a message is sent with Enter, then it shows pending at once and its ticks follow the socket to read', async () => {
    base();
    signIn();
    fakeApi.on('POST', '/api/chats/:id/messages', ({ body }: { body: { clientId: string; text: string } }) => ({ status: 202, body: message(50, { direction: 'out', clientId: body.clientId, body: body.text, status: 'pending' }) }));
    renderApp('/chats/1');
    await screen.findByText('message 1');
    await online();
    const user = userEvent.setup();
    const box = screen.getByLabelText('Message');
    await user.type(box, 'first line{Shift>}{Enter}{/Shift}second line');
    expect(box).toHaveValue('first line\nsecond line');
    await user.keyboard('{Enter}');
    const sent = fakeApi.called('POST', '/api/chats/1/messages')[0]!.body as { clientId: string; text: string };
    expect(sent.text).toBe('first line\nsecond line');
    expect(sent.clientId).toMatch(/^[0-9a-f-]{36}$/);
    const bubble = () => screen.getAllByTestId('message').find((m) => m.textContent?.includes('second line'))!;
    await waitFor(() => expect(bubble().dataset.status).toBe('pending'));
    act(() => FakeSocket.last().push({ seq: 102, type: 'message.updated', data: message(50, { direction: 'out', clientId: sent.clientId, body: sent.text, status: 'delivered' }) }));
    await waitFor(() => expect(bubble().dataset.status).toBe('delivered'));
    act(() => FakeSocket.last().push({ seq: 103, type: 'message.updated', data: message(50, { direction: 'out', clientId: sent.clientId, body: sent.text, status: 'read' }) }));
    await waitFor(() => expect(within(bubble()).getByRole('img', { name: 'Read' })).toBeInTheDocument());
  });

  it('when a message failed, then Retry sends it again', async () => {
    base({ messages: [message(9, { direction: 'out', status: 'failed', error: 'Engine unreachable', body: 'lost' })] });
    signIn();
    fakeApi.on('POST', '/api/messages/:id/retry', { status: 202, body: message(9, { direction: 'out', status: 'pending', body: 'lost' }) });
    renderApp('/chats/1');
    expect(await screen.findByText('Engine unreachable')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(fakeApi.called('POST', '/api/messages/9/retry')).toHaveLength(1));
    await waitFor(() => expect(screen.queryByText('Engine unreachable')).toBeNull());
  });

  it('when a contact writes, then message.created shows it live in the open chat', async () => {
    base();
    signIn();
    renderApp('/chats/1');
    await screen.findByText('message 1');
    await online();
    act(() => FakeSocket.last().push({ seq: 104, type: 'message.created', data: message(2, { body: 'live hello', sentAt: new Date(Date.now() + 1000).toISOString() }) }));
    expect(await screen.findByText('live hello')).toBeInTheDocument();
  });

  it('when a chat was shared with me, then it sits under "Shared with me" and opens read-only without a composer', async () => {
    base({ chats: [], shared: [{ chat: { ...chat(7), access: undefined }, sharedBy: { id: 'x', name: 'Alice' }, sharedAt: now }] });
    fakeApi.on('GET', '/api/chats/:id', chat(7, { access: 'grantee' }));
    signIn({ ...alice, role: 'viewer', name: 'Carol' });
    renderApp('/chats');
    expect(await screen.findByTestId('section-shared')).toHaveTextContent('Shared with me');
    await userEvent.click(screen.getByRole('button', { name: /Person 7/ }));
    expect(await screen.findByTestId('readonly-note')).toBeInTheDocument();
    expect(screen.queryByLabelText('Message')).toBeNull();
    expect(fakeApi.called('POST', /\/read$/)).toHaveLength(0);
  });

  it('when messages carry an image and a document, then the image loads with the token and the document offers a download', async () => {
    base({
      messages: [
        message(3, { type: 'image', body: null, media: { mimetype: 'image/png', filename: 'p.png', size: 10, mediaId: 'm1' } }),
        message(4, { type: 'document', body: null, media: { mimetype: 'application/pdf', filename: 'offer.pdf', size: 2048, mediaId: 'm2' } }),
      ],
    });
    fakeApi.on('GET', '/api/media/:id', { body: new Blob(['x'], { type: 'image/png' }) });
    signIn();
    renderApp('/chats/1');
    expect(await screen.findByRole('img', { name: 'p.png' })).toBeInTheDocument();
    expect(fakeApi.called('GET', '/api/media/m1')[0]!.auth).toBe('Bearer access-1');
    expect(screen.getByRole('button', { name: 'Download offer.pdf' })).toBeInTheDocument();
  });

  it('when the socket drops, then it reconnects and resumes from the last seq it saw', async () => {
    base();
    signIn();
    renderApp('/chats');
    await online();
    act(() => FakeSocket.last().push({ seq: 120, type: 'chat.updated', data: chat(1) }));
    expect(screen.getByTestId('connection-state')).toHaveTextContent('Live');
    act(() => FakeSocket.last().drop());
    expect(screen.getByTestId('connection-state')).toHaveTextContent('Reconnecting');
    await waitFor(() => expect(FakeSocket.all.length).toBe(2), { timeout: 3000 });
    expect(FakeSocket.last().protocols).toEqual(['bearer', 'access-1']);
    act(() => FakeSocket.last().open(130));
    expect(FakeSocket.last().sent).toEqual([{ type: 'resume', since: 120 }]);
  });
});
