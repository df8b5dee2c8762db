import { describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderApp, signIn } from '../../test/render-app';
import { highlightParts } from './search.api';

const now = new Date().toISOString();

describe('search', () => {
  it('when the server marks matches with « », then those parts are highlighted and nothing is parsed as HTML', () => {
    expect(highlightParts('the «offer» is <b>ready</b> «now»')).toEqual([
      { text: 'the ', hit: false },
      { text: 'offer', hit: true },
      { text: ' is ', hit: false },
      { text: 'ready', hit: true },
      { text: ' ', hit: false },
      { text: 'now', hit: true },
    ]);
  });

  it('when a result is chosen, then its chat opens at that message', async () => {
    fakeApi.on('GET', '/api/system', { demo: false, simulatorUrl: null, engines: [] });
    fakeApi.on('GET', '/api/search', {
      items: [{ message: { id: 42, chatId: 5, direction: 'in', senderName: 'Bob', sentAt: now, body: 'the offer' }, chat: { id: 5, name: 'Bob', jid: '1@s.whatsapp.net' }, rank: 1, snippet: 'is the «offer» ready' }],
      nextCursor: null,
    });
    const chat = { id: 5, deviceId: 'd', jid: '1@s.whatsapp.net', name: 'Bob', isGroup: false, lastMessageAt: now, lastMessagePreview: '', unreadCount: 0, access: 'owner', favorite: false, crm: null };
    fakeApi.on('GET', '/api/chats/:id', chat);
    fakeApi.on('GET', '/api/chats', { items: [chat], nextCursor: null });
    fakeApi.on('GET', '/api/chats/:id/messages', { items: [{ id: 42, chatId: 5, deviceId: 'd', clientId: null, direction: 'in', from: null, senderName: 'Bob', type: 'text', body: 'is the offer ready', media: null, replyTo: null, status: 'received', error: null, sentAt: now, editedAt: null, revoked: false }], nextCursor: null });
    fakeApi.on('GET', '/api/shared-with-me', { items: [], nextCursor: null });
    fakeApi.on('GET', '/api/favorites', { items: [] });
    fakeApi.on('GET', '/api/devices', { items: [] });
    fakeApi.on('GET', '/api/contacts', { items: [], nextCursor: null });
    signIn();
    renderApp('/search');
    await userEvent.type(await screen.findByRole('searchbox', { name: 'Search messages' }), 'offer');
    const hit = await screen.findByTestId('search-hit');
    expect(hit.querySelector('mark')).toHaveTextContent('offer');
    await userEvent.click(hit);
    await waitFor(() => expect(document.querySelector('.msg.highlighted')).toHaveTextContent('is the offer ready'));
  });
});
