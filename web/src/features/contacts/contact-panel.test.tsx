import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderApp, signIn } from '../../test/render-app';

const now = new Date().toISOString();
const CID = '33333333-3333-4333-8333-333333333333';
const vip = { id: '44444444-4444-4444-8444-444444444444', name: 'VIP', color: '#e53935' };
const chat = (over = {}) => ({ id: 1, deviceId: 'dev', jid: '4915110000001@s.whatsapp.net', name: 'Bob B.', isGroup: false, lastMessageAt: now, lastMessageId: null, lastMessagePreview: 'hi', unreadCount: 0, access: 'owner', favorite: false, crm: null, ...over });
const card = (tags: unknown[] = []) => ({
  contact: { id: CID, name: 'Bob Buyer', phone: '+4915110000001', email: 'bob@buyer.test', company: 'Buyer GmbH', notes: null, tags, createdBy: null, createdAt: now, updatedAt: now },
  whatsapp: [{ id: 1, deviceId: 'dev', deviceName: 'Sales phone', jid: '4915110000001@s.whatsapp.net', phone: '+4915110000001', pushName: 'Bob B.', fullName: null, businessName: null }],
  chats: [],
});

function base(c = chat()) {
  fakeApi.on('GET', '/api/system', { demo: false, simulatorUrl: null, engines: ['waha'] });
  fakeApi.on('GET', '/api/devices', { items: [] });
  fakeApi.on('GET', '/api/chats', { items: [c], nextCursor: null });
  fakeApi.on('GET', '/api/chats/:id', c);
  fakeApi.on('GET', '/api/chats/:id/messages', { items: [], nextCursor: null });
  fakeApi.on('GET', '/api/shared-with-me', { items: [], nextCursor: null });
}

describe('contact card', () => {
  it('when the chat belongs to a CRM contact, then the card shows fields, tags in color and WhatsApp names; pin and tag change them', async () => {
    let tags: unknown[] = [];
    let pinned = false;
    base(chat({ crm: { contactId: CID, name: 'Bob Buyer', phone: '+4915110000001', tags: [] } }));
    fakeApi.on('GET', '/api/contacts/:id/card', () => card(tags));
    fakeApi.on('GET', '/api/favorites', () => ({ items: pinned ? [{ type: 'contact', position: 0, contact: { id: CID, name: 'Bob Buyer', phone: '+4915110000001' }, chat: null, pinnedAt: now }] : [] }));
    fakeApi.on('PUT', '/api/favorites/:id', () => ((pinned = true), { items: [] }));
    fakeApi.on('GET', '/api/tags', { items: [vip] });
    fakeApi.on('PUT', '/api/contacts/:id/tags', ({ body }: { body: { tagIds: string[] } }) => ((tags = body.tagIds.includes(vip.id) ? [vip] : []), card(tags).contact));
    signIn();
    renderApp('/chats/1');
    await userEvent.click(await screen.findByRole('button', { name: 'Contact details' }, { timeout: 5000 })); // the chats page loads lazily
    const c = await screen.findByTestId('contact-card');
    expect(within(c).getByTestId('contact-name')).toHaveTextContent('Bob Buyer');
    expect(within(c).getByText('Buyer GmbH')).toBeInTheDocument();
    expect(within(c).getByText('Bob B.')).toBeInTheDocument();
    const user = userEvent.setup();
    await user.click(within(c).getByTestId('pin-contact'));
    await waitFor(() => expect(within(c).getByTestId('pin-contact')).toHaveAttribute('aria-pressed', 'true'));
    await user.click(within(c).getByRole('button', { name: 'Add tag' }));
    await user.click(await within(c).findByRole('button', { name: 'VIP' }));
    const tag = await within(within(c).getByTestId('contact-tags')).findByText('VIP');
    expect(tag.closest('li')).toHaveStyle({ color: '#e53935' });
  });

  it('when the person is only on WhatsApp, then "+" adds them from the chat and the card appears', async () => {
    let created = false;
    base();
    fakeApi.on('GET', '/api/favorites', { items: [] });
    fakeApi.on('GET', '/api/contacts', () => ({ items: created ? [card().contact] : [], nextCursor: null }));
    fakeApi.on('GET', '/api/contacts/:id/card', card());
    fakeApi.on('POST', '/api/contacts', () => ((created = true), { status: 201, body: card().contact }));
    signIn();
    renderApp('/chats/1');
    await userEvent.click(await screen.findByRole('button', { name: 'Contact details' }, { timeout: 5000 })); // the chats page loads lazily
    await userEvent.click(await screen.findByTestId('add-contact'));
    expect(fakeApi.called('POST', '/api/contacts')[0]!.body).toEqual({ fromChatId: 1 });
    expect(await screen.findByTestId('contact-name')).toHaveTextContent('Bob Buyer');
  });

  it('when an editor edits the details, then the contact form checks them as the API does, and the API\'s refusal is explained', async () => {
    base(chat({ crm: { contactId: CID, name: 'Bob Buyer', phone: '+4915110000001', tags: [] } }));
    fakeApi.on('GET', '/api/favorites', { items: [] });
    fakeApi.on('GET', '/api/contacts/:id/card', card());
    fakeApi.on('PUT', '/api/contacts/:id', { status: 400, body: { error: { code: 'validation_failed', message: 'Invalid body', details: [{ field: 'phone', message: 'not a phone number' }] } } });
    signIn();
    renderApp('/chats/1');
    await userEvent.click(await screen.findByRole('button', { name: 'Contact details' }, { timeout: 5000 })); // the chats page loads lazily
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Edit' }));
    // The same form as the contacts page: a bad number is refused before it is sent…
    const phone = screen.getByLabelText('Phone number');
    await user.clear(phone);
    await user.type(phone, '12');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('"12" is not a valid phone number')).toBeInTheDocument();
    expect(fakeApi.called('PUT', /\/api\/contacts\//)).toHaveLength(0);
    // …and what the API refuses is shown beside its field.
    await user.clear(phone);
    await user.type(phone, '0151 10000002');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('not a phone number')).toBeInTheDocument();
    expect(fakeApi.called('PUT', /\/api\/contacts\//)).toHaveLength(1);
  });
});

describe('contact panel "Message"', () => {
  it('when Message is pressed in a chat\'s contact panel, then the chat on the device one sends from opens, the panel closes and the composer has focus', async () => {
    const sales = { id: '11111111-1111-4111-8111-111111111111', name: 'Sales phone', phone: '+4930123456', access: 'owner', status: 'connected', engineReachable: true };
    const other = chat({ id: 7, deviceId: sales.id, crm: { contactId: CID, name: 'Bob Buyer', phone: '+4915110000001', tags: [] } });
    base(chat({ crm: { contactId: CID, name: 'Bob Buyer', phone: '+4915110000001', tags: [] } }));
    fakeApi.on('GET', '/api/devices', { items: [sales] });
    fakeApi.on('GET', '/api/chats/:id', ({ params }: { params: { id: string } }) => (params.id === '7' ? other : chat({ crm: { contactId: CID, name: 'Bob Buyer', phone: '+4915110000001', tags: [] } })));
    fakeApi.on('GET', '/api/favorites', { items: [] });
    fakeApi.on('GET', '/api/contacts/:id/card', card());
    fakeApi.on('POST', '/api/chats', { status: 200, body: other });
    signIn();
    renderApp('/chats/1');
    await userEvent.click(await screen.findByRole('button', { name: 'Contact details' }, { timeout: 5000 })); // the chats page loads lazily
    const c = await screen.findByTestId('contact-card');
    await userEvent.click(await within(c).findByRole('button', { name: 'Message Bob Buyer' }));
    expect(fakeApi.called('POST', '/api/chats').map((x) => x.body)).toEqual([{ deviceId: sales.id, phone: '+4915110000001' }]);
    await waitFor(() => expect(screen.queryByTestId('contact-card')).toBeNull());
    await waitFor(() => expect(document.getElementById('compose-7')).toHaveFocus());
  });
});
