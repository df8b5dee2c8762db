import { describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { alice, renderApp, signIn } from '../../test/render-app';

const now = new Date().toISOString();
const vip = { id: '44444444-4444-4444-8444-444444444444', name: 'VIP', color: '#e53935', contactCount: 1 };
const contact = (i: number, over = {}) => ({
  id: `33333333-3333-4333-8333-33333333333${i}`, name: `Person ${i}`, phone: `+4915110000${String(i).padStart(3, '0')}`, email: null, company: null, notes: null,
  tags: i === 1 ? [vip] : [], createdBy: null, createdAt: now, updatedAt: now, favorite: false, ...over,
});

function base() {
  fakeApi.on('GET', '/api/system', { demo: false, simulatorUrl: null, engines: ['waha'], phoneRegion: 'DE' });
  fakeApi.on('GET', '/api/tags', { items: [vip] });
  fakeApi.on('GET', '/api/favorites', { items: [] });
  fakeApi.on('GET', '/api/contacts', ({ url }: { url: URL }) => {
    const q = url.searchParams.get('q')?.toLowerCase();
    const items = [1, 2, 3].map((i) => contact(i)).filter((c) => (!q || c.name.toLowerCase().includes(q)) && (!url.searchParams.get('tag') || c.tags.length));
    return { items, nextCursor: null };
  });
}
const lastQuery = (path: string) => new URL('http://x' + fakeApi.called('GET', new RegExp(`^${path}`)).at(-1)!.path).searchParams;

describe('contacts page', () => {
  it('when a viewer opens it, then the contacts are listed and searchable, but nothing offers to change them', async () => {
    base();
    signIn({ ...alice, role: 'viewer' });
    renderApp('/contacts');
    expect(await screen.findAllByTestId('contact-row')).toHaveLength(3);
    expect(screen.queryByRole('button', { name: 'Add contact' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Import CSV' })).toBeNull();
    await userEvent.type(screen.getByLabelText('Search contacts'), 'person 2');
    await waitFor(() => expect(screen.getAllByTestId('contact-row')).toHaveLength(1));
    expect(lastQuery('/api/contacts').get('q')).toBe('person 2');
    await userEvent.click(screen.getByRole('button', { name: 'Tags' }));
    expect(await screen.findByText('1 contact')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Delete' })).toBeNull();
  });

  it('when the tag filter and favorites are chosen, then both go to the server', async () => {
    base();
    signIn();
    renderApp('/contacts');
    await screen.findAllByTestId('contact-row');
    await userEvent.selectOptions(screen.getByLabelText('Filter by tag'), 'VIP');
    await userEvent.click(screen.getByRole('button', { name: 'Favorites' }));
    await waitFor(() => expect([lastQuery('/api/contacts').get('tag'), lastQuery('/api/contacts').get('favorite')]).toEqual([vip.id, 'true']));
  });

  it('when "+" is filled in, then a bad number is refused before sending, and the API’s own field errors show beside their fields', async () => {
    base();
    let answer: { status: number; body: unknown } = { status: 409, body: { error: { code: 'contact_exists', message: 'A contact with the number +4915112345678 already exists', details: { contactId: contact(1).id, name: 'Person 1', phone: '+4915112345678' } } } };
    fakeApi.on('POST', '/api/contacts', () => answer);
    signIn({ ...alice, role: 'editor' });
    renderApp('/contacts');
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Add contact' }));
    const form = await screen.findByRole('form', { name: 'New contact' });
    expect(within(form).getByLabelText('Country')).toHaveValue('DE'); // the gateway's default region
    await user.type(within(form).getByLabelText('Name'), 'New Person');
    await user.type(within(form).getByLabelText('Phone number'), '12345');
    await user.click(within(form).getByRole('button', { name: 'Add contact' }));
    expect(await within(form).findByText('"12345" is not a valid phone number')).toBeInTheDocument();
    expect(fakeApi.called('POST', '/api/contacts')).toHaveLength(0);

    await user.clear(within(form).getByLabelText('Phone number'));
    await user.type(within(form).getByLabelText('Phone number'), '0151 12345678');
    await user.click(within(form).getByRole('checkbox', { name: 'VIP' }));
    await user.click(within(form).getByRole('button', { name: 'Add contact' }));
    expect(await within(form).findByText('Person 1 already has this number.')).toBeInTheDocument();
    expect(fakeApi.called('POST', '/api/contacts')[0]!.body).toEqual({ name: 'New Person', phone: '+4915112345678', email: null, company: null, notes: null, tagIds: [vip.id] });

    answer = { status: 400, body: { error: { code: 'validation_failed', message: 'Invalid body: email', details: [{ in: 'body', field: 'email', message: 'Invalid email address' }] } } };
    await user.type(within(form).getByLabelText('Email'), 'x@y.z');
    await user.click(within(form).getByRole('button', { name: 'Add contact' }));
    expect(await within(form).findByText('Invalid email address')).toBeInTheDocument();
    expect(within(form).getByLabelText('Email')).toHaveAttribute('aria-invalid', 'true');
  });

  it('when an editor manages tags, then create, rename, recolour and delete each reach the API', async () => {
    base();
    fakeApi.on('POST', '/api/tags', ({ body }: { body: { name: string; color: string } }) => ({ status: 201, body: { id: '55555555-5555-4555-8555-555555555555', contactCount: 0, ...body } }));
    fakeApi.on('PUT', '/api/tags/:id', ({ body }: { body: object }) => ({ ...vip, ...body }));
    fakeApi.on('DELETE', '/api/tags/:id', { status: 204 });
    signIn({ ...alice, role: 'editor' });
    renderApp('/contacts/tags');
    const user = userEvent.setup();
    const create = await screen.findByRole('form', { name: 'Create a tag' });
    await user.type(within(create).getByLabelText('New tag'), 'Lead');
    await user.click(within(create).getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(fakeApi.called('POST', '/api/tags')[0]!.body).toEqual({ name: 'Lead', color: '#1e88e5' }));

    const row = screen.getByRole('form', { name: 'Tag VIP' });
    fireEvent.change(within(row).getByLabelText('Colour of VIP'), { target: { value: '#00ff00' } });
    await user.click(within(row).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(fakeApi.called('PUT', `/api/tags/${vip.id}`)[0]!.body).toEqual({ color: '#00ff00' }));
    await user.clear(within(row).getByLabelText('Name of VIP'));
    await user.type(within(row).getByLabelText('Name of VIP'), 'Key account');
    await user.click(within(row).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(fakeApi.called('PUT', `/api/tags/${vip.id}`)[1]!.body).toMatchObject({ name: 'Key account' }));
    await user.click(within(row).getByRole('button', { name: 'Delete' }));
    await user.click(within(row).getByRole('button', { name: 'Yes' }));
    await waitFor(() => expect(fakeApi.called('DELETE', `/api/tags/${vip.id}`)).toHaveLength(1));
  });
});
