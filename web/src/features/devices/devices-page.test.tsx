import { describe, expect, it } from 'vitest';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { FakeSocket } from '../../test/fake-network';
import { alice, renderApp, signIn } from '../../test/render-app';

const device = (over = {}) => ({
  id: '11111111-1111-4111-8111-111111111111',
  name: 'Sales phone',
  engine: 'waha',
  engineSession: 's1',
  status: 'qr',
  phone: null,
  pushName: null,
  ownerId: alice.id,
  access: 'owner',
  statusAt: new Date().toISOString(),
  connectedAt: null,
  createdAt: new Date().toISOString(),
  ...over,
});

function base(system = { demo: true, simulatorUrl: 'http://127.0.0.1:3100/_sim', engines: ['waha', 'wuzapi'] }) {
  fakeApi.on('GET', '/api/system', system);
  fakeApi.on('GET', '/api/devices/:id/members', { items: [] });
}

describe('devices and pairing', () => {
  it('when a device waits for a scan, then its QR is drawn from the raw value and redrawn when the engine rotates it', async () => {
    base();
    signIn();
    let qr = '2@first-code';
    fakeApi.on('GET', '/api/devices', { items: [device()] });
    fakeApi.on('GET', '/api/devices/:id/qr', () => ({ status: 'qr', qr }));
    renderApp('/devices');
    const first = await screen.findByTestId('pairing-qr');
    expect(first.getAttribute('data-qr')).toBe('2@first-code');
    expect(first.querySelectorAll('path').length).toBeGreaterThan(0);
    qr = '2@second-code';
    await waitFor(() => expect(screen.getByTestId('pairing-qr').getAttribute('data-qr')).toBe('2@second-code'), { timeout: 4000 });
  });

  it('when the phone scans, then the device.status event turns the badge to Connected and the QR goes away', async () => {
    base();
    signIn();
    fakeApi.on('GET', '/api/devices', { items: [device()] });
    fakeApi.on('GET', '/api/devices/:id/qr', { status: 'qr', qr: '2@abc' });
    fakeApi.on('GET', '/api/devices/:id/sync', { status: 404, body: { error: { code: 'not_found', message: 'none' } } });
    renderApp('/devices');
    await screen.findByTestId('pairing-qr');
    await waitFor(() => expect(FakeSocket.all.length).toBe(1));
    act(() => FakeSocket.last().open(10));
    act(() => FakeSocket.last().push({ seq: 11, type: 'device.status', data: { deviceId: device().id, status: 'connected', statusDetail: null, engineReachable: true, engineCheckedAt: new Date().toISOString() } }));
    const card = screen.getByTestId('device-card');
    expect(await within(card).findByText('Connected')).toBeInTheDocument();
    expect(screen.queryByTestId('pairing-qr')).toBeNull();
  });

  it('when the owner asks for a pairing code by phone, then the code is shown', async () => {
    base();
    signIn();
    fakeApi.on('GET', '/api/devices', { items: [device()] });
    fakeApi.on('GET', '/api/devices/:id/qr', { status: 'qr', qr: '2@abc' });
    fakeApi.on('POST', '/api/devices/:id/pairing-code', { code: 'ABCD-EFGH' });
    renderApp('/devices');
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Link with a phone number instead' }));
    await user.type(screen.getByLabelText('Phone number (international)'), '+49 170 1234567');
    await user.click(screen.getByRole('button', { name: 'Get pairing code' }));
    expect(await screen.findByTestId('pairing-code')).toHaveTextContent('ABCD-EFGH');
    expect(fakeApi.called('POST', /pairing-code$/)[0]!.body).toEqual({ phone: '+49 170 1234567' });
  });

  it('when the history import runs, then the bar shows counts and rate and follows sync.progress live', async () => {
    base();
    signIn();
    fakeApi.on('GET', '/api/devices', { items: [device({ status: 'connected', phone: '4917012345' })] });
    fakeApi.on('GET', '/api/devices/:id/sync', { id: 1, status: 'running', totalChats: 10, doneChats: 2, totalMessages: 1000, doneMessages: 250, importedMessages: 250, ratePerSecond: 120 });
    renderApp('/devices');
    expect(await screen.findByTestId('sync-counts')).toHaveTextContent('250 of 1,000 messages · 2 of 10 chats · 120 messages/s');
    expect(screen.getByTestId('sync-progress')).toHaveAttribute('value', '25');
    await waitFor(() => expect(FakeSocket.all.length).toBe(1));
    act(() => FakeSocket.last().open(1));
    act(() =>
      FakeSocket.last().push({ seq: 2, type: 'sync.progress', data: { deviceId: device().id, id: 1, status: 'done', phase: null, trigger: 'connect', totalChats: 10, doneChats: 10, totalMessages: 1000, doneMessages: 1000, importedMessages: 1000, ratePerSecond: 300, error: null, startedAt: new Date().toISOString(), finishedAt: new Date().toISOString() } }),
    );
    expect(await screen.findByText('Complete')).toBeInTheDocument();
    expect(screen.getByTestId('sync-counts')).toHaveTextContent('1,000 of 1,000 messages');
  });

  it('when in demo mode, then a note says the engine is the simulator and links to its page', async () => {
    base();
    signIn();
    fakeApi.on('GET', '/api/devices', { items: [] });
    renderApp('/devices');
    const note = await screen.findByTestId('demo-note');
    expect(note).toHaveTextContent('engine simulator');
    expect(within(note).getByRole('link', { name: 'simulator page' })).toHaveAttribute('href', 'http://127.0.0.1:3100/_sim');
  });

  it('when the owner adds, de-registers and deletes a device, then each asks the API and deletion asks for confirmation first', async () => {
    base();
    signIn();
    let items = [device({ status: 'connected' })];
    fakeApi.on('GET', '/api/devices', () => ({ items }));
    fakeApi.on('GET', '/api/devices/:id/sync', { status: 404, body: { error: { code: 'not_found', message: 'none' } } });
    fakeApi.on('POST', '/api/devices', ({ body }: { body: { name: string } }) => ({ status: 201, body: device({ id: '22222222-2222-4222-8222-222222222222', name: body.name, status: 'starting' }) }));
    fakeApi.on('POST', '/api/devices/:id/logout', { status: 204 });
    fakeApi.on('DELETE', '/api/devices/:id', () => ((items = []), { status: 204 }));
    renderApp('/devices');
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText('New device name'), 'Support');
    await user.click(screen.getByRole('button', { name: 'Add device' }));
    await waitFor(() => expect(fakeApi.called('POST', '/api/devices')[0]!.body).toEqual({ name: 'Support' }));
    await user.click(screen.getByRole('button', { name: 'De-register' }));
    await user.click(screen.getByRole('button', { name: 'Yes' }));
    await waitFor(() => expect(fakeApi.called('POST', /\/logout$/)).toHaveLength(1));
    await user.click(screen.getByRole('button', { name: 'Delete' }));
    expect(fakeApi.called('DELETE', /\/api\/devices\//)).toHaveLength(0);
    await user.click(screen.getByRole('button', { name: 'Yes' }));
    await waitFor(() => expect(screen.queryByTestId('device-card')).toBeNull());
  });
});
