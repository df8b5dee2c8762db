import { describe, expect, it } from 'vitest';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { FakeSocket } from '../../test/fake-network';
import { alice, renderApp, signIn } from '../../test/render-app';

const now = new Date().toISOString();
const CID = '33333333-3333-4333-8333-333333333333';
const contact = { id: CID, name: 'Bob Buyer', phone: '+4915110000001', email: 'bob@buyer.test', company: 'Buyer GmbH', notes: null, tags: [], createdBy: null, createdAt: now, updatedAt: now };
const card = { contact, whatsapp: [], chats: [] };
const device = (id: string, name: string, phone: string | null, access: string, status = 'connected') => ({ id, name, phone, access, status, engineReachable: true });
const SALES = device('11111111-1111-4111-8111-111111111111', 'Sales phone', '+4930123456', 'owner');
const SUPPORT = device('22222222-2222-4222-8222-222222222222', 'Support line', '+4930999999', 'agent', 'disconnected');
const WATCHED = device('55555555-5555-4555-8555-555555555555', 'Watched', '+4930555555', 'viewer');
const chat = (id: number, deviceId: string) => ({
  id, deviceId, jid: '4915110000001@s.whatsapp.net', name: null, isGroup: false, lastMessageAt: null, lastMessageId: null, lastMessagePreview: null, unreadCount: 0, access: 'owner', favorite: false, crm: null,
});

function base(devices: unknown[]) {
  fakeApi.on('GET', '/api/system', { demo: false, simulatorUrl: null, engines: ['waha'], phoneRegion: 'DE' });
  fakeApi.on('GET', '/api/tags', { items: [] });
  fakeApi.on('GET', '/api/favorites', { items: [] });
  fakeApi.on('GET', '/api/contacts', { items: [{ ...contact, favorite: false }], nextCursor: null });
  fakeApi.on('GET', '/api/contacts/:id/card', card);
  fakeApi.on('GET', '/api/devices', { items: devices });
  fakeApi.on('POST', '/api/chats', ({ body }: { body: { deviceId: string } }) => ({ status: 201, body: chat(body.deviceId === SALES.id ? 7 : 8, body.deviceId) }));
  fakeApi.on('GET', '/api/chats', { items: [], nextCursor: null });
  fakeApi.on('GET', '/api/chats/:id', ({ params }: { params: { id: string } }) => chat(Number(params.id), Number(params.id) === 7 ? SALES.id : SUPPORT.id));
  fakeApi.on('GET', '/api/chats/:id/messages', { items: [], nextCursor: null });
  fakeApi.on('GET', '/api/shared-with-me', { items: [], nextCursor: null });
}

describe('"Message" on a contact card', () => {
  it('when the person may send from one device, then Message starts the chat there and opens it with the composer focused', async () => {
    base([SALES, WATCHED]);
    signIn();
    renderApp(`/contacts/${CID}`);
    const details = await screen.findByTestId('contact-details', {}, { timeout: 5000 }); // lazy page
    await userEvent.click(await within(details).findByRole('button', { name: 'Message Bob Buyer' }, { timeout: 5000 }));
    expect(fakeApi.called('POST', '/api/chats').map((c) => c.body)).toEqual([{ deviceId: SALES.id, phone: '+4915110000001' }]);
    const composer = await screen.findByPlaceholderText('Type a message', {}, { timeout: 5000 }); // the chats page loads lazily
    await waitFor(() => expect(composer).toHaveFocus());
    expect(composer.id).toBe('compose-7');
  });

  it('when the person may send from several devices, then they pick one by name and number (a viewer-only device is not offered)', async () => {
    base([SALES, SUPPORT, WATCHED]);
    signIn();
    renderApp(`/contacts/${CID}`);
    const details = await screen.findByTestId('contact-details', {}, { timeout: 5000 }); // lazy page
    const message = await within(details).findByRole('button', { name: 'Message Bob Buyer' }, { timeout: 5000 });
    expect(message).toHaveAttribute('aria-expanded', 'false');
    await userEvent.click(message);
    const choices = within(screen.getByRole('group', { name: 'Send from' })).getAllByRole('button');
    expect(choices.map((b) => b.textContent)).toEqual(['Sales phone+49 30 123456', 'Support line+49 30 999999 · disconnected']);
    expect(fakeApi.called('POST', '/api/chats')).toHaveLength(0);
    await userEvent.click(choices[1]!);
    expect(fakeApi.called('POST', '/api/chats').map((c) => c.body)).toEqual([{ deviceId: SUPPORT.id, phone: '+4915110000001' }]);
    await waitFor(() => expect(screen.getByPlaceholderText('Type a message')).toHaveFocus());
    expect(screen.getByPlaceholderText('Type a message').id).toBe('compose-8');
  });

  it('when the person may send from no device, then Message is disabled and says why', async () => {
    base([WATCHED]);
    signIn({ ...alice, role: 'viewer' });
    renderApp(`/contacts/${CID}`);
    const details = await screen.findByTestId('contact-details', {}, { timeout: 5000 }); // lazy page
    const message = await within(details).findByTestId('message-contact');
    expect(message).toBeDisabled();
    expect(message).toHaveAccessibleDescription('No device you may send from');
  });

  it('when the engine refuses the number, then the reason shows and nothing opens', async () => {
    base([SALES]);
    fakeApi.on('POST', '/api/chats', { status: 422, body: { error: { code: 'not_on_whatsapp', message: '+4915110000001 is not on WhatsApp' } } });
    signIn();
    renderApp(`/contacts/${CID}`);
    const details = await screen.findByTestId('contact-details', {}, { timeout: 5000 }); // lazy page
    await userEvent.click(await within(details).findByRole('button', { name: 'Message Bob Buyer' }, { timeout: 5000 }));
    expect(await within(details).findByRole('alert')).toHaveTextContent('is not on WhatsApp');
    expect(screen.queryByPlaceholderText('Type a message')).toBeNull();
  });
});

describe('contacts list, live', () => {
  it('when another tab or person imports contacts (a bulk contact.updated), then the list is asked for again and shows them, once for a burst', async () => {
    let imported = false;
    base([SALES]);
    fakeApi.on('GET', '/api/contacts', () => ({ items: [{ ...contact, favorite: false }, ...(imported ? [{ ...contact, id: '66666666-6666-4666-8666-666666666666', name: 'Imported Ida', phone: '+4915110000009', favorite: false }] : [])], nextCursor: null }));
    signIn();
    renderApp('/contacts');
    expect(await screen.findAllByTestId('contact-row', {}, { timeout: 5000 })).toHaveLength(1);
    await waitFor(() => expect(FakeSocket.all.length).toBeGreaterThan(0));
    act(() => FakeSocket.last().open(100));
    const asked = fakeApi.called('GET', /^\/api\/contacts\?/).length;
    imported = true;
    act(() => {
      FakeSocket.last().push({ seq: 101, type: 'contact.updated', data: { bulk: true, count: 5000 } });
      FakeSocket.last().push({ seq: 102, type: 'contact.updated', data: { bulk: true, count: 1000 } });
    });
    await screen.findByText('Imported Ida');
    await new Promise((r) => setTimeout(r, 400));
    expect(fakeApi.called('GET', /^\/api\/contacts\?/).length - asked).toBe(1);
  });
});
