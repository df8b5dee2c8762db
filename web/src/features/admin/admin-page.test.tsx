import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { alice, renderApp, signIn } from '../../test/render-app';

const now = new Date().toISOString();
const bob = { id: '55555555-5555-4555-8555-555555555555', orgId: 'o', email: 'bob@demo.test', name: 'Bob Editor', role: 'editor', createdAt: now, updatedAt: now };

function base() {
  fakeApi.on('GET', '/api/system', { demo: false, simulatorUrl: null, engines: [] });
  fakeApi.on('GET', '/api/users', { items: [{ ...alice, createdAt: now, updatedAt: now }, bob], nextCursor: null });
  fakeApi.on('GET', '/api/audit', ({ url }: { url: URL }) => ({
    items: [
      { id: 2, actorId: null, actorName: null, action: 'auth.login_failed', targetType: 'user', targetId: bob.id, targetName: 'Bob Editor', details: { reason: 'wrong_password' }, requestId: null, at: now },
      { id: 1, actorId: alice.id, actorName: 'Alice Admin', action: 'user.create', targetType: 'user', targetId: bob.id, targetName: 'Bob Editor', details: null, requestId: null, at: now },
    ].filter((a) => !url.searchParams.get('actorId') || a.actorId === url.searchParams.get('actorId')),
    nextCursor: null,
  }));
}

describe('administration', () => {
  it('when someone who is not an admin signs in, then there is no Admin entry and the page refuses', async () => {
    base();
    signIn({ ...alice, role: 'editor' });
    renderApp('/admin');
    expect(await screen.findByRole('heading', { name: 'Not allowed' })).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Admin' })).toBeNull();
  });

  it('when the admin creates a user, changes a role, resets a password and deactivates, then each reaches the API', async () => {
    base();
    fakeApi.on('POST', '/api/users', ({ body }: { body: Record<string, string> }) => ({ status: 201, body: { ...bob, id: '66666666-6666-4666-8666-666666666666', ...body } }));
    fakeApi.on('PUT', '/api/users/:id', ({ body }: { body: Record<string, string> }) => ({ ...bob, ...body }));
    fakeApi.on('PUT', '/api/users/:id/password', { status: 204 });
    fakeApi.on('DELETE', '/api/users/:id', { status: 204 });
    signIn();
    renderApp('/admin');
    const user = userEvent.setup();
    const form = await screen.findByRole('form', { name: 'Create a user' });
    await user.type(within(form).getByLabelText('Name'), 'Dora New');
    await user.type(within(form).getByLabelText('Email'), 'dora@demo.test');
    await user.type(within(form).getByLabelText('Initial password'), 'long-enough-pw');
    await user.click(within(form).getByRole('button', { name: 'Create user' }));
    expect(await screen.findByText('Dora New can now sign in as dora@demo.test.')).toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText('Role of Bob Editor'), 'viewer');
    await waitFor(() => expect(fakeApi.called('PUT', `/api/users/${bob.id}`)[0]!.body).toEqual({ role: 'viewer' }));
    const row = screen.getByRole('row', { name: /Bob Editor/ });
    await user.click(within(row).getByRole('button', { name: 'Reset password' }));
    await user.type(within(row).getByLabelText(/New password for/), 'another-long-pw');
    await user.click(within(row).getByRole('button', { name: 'Set' }));
    await waitFor(() => expect(fakeApi.called('PUT', `/api/users/${bob.id}/password`)[0]!.body).toEqual({ newPassword: 'another-long-pw' }));
    await user.click(within(row).getByRole('button', { name: 'Deactivate' }));
    await user.click(within(row).getByRole('button', { name: 'Yes' }));
    await waitFor(() => expect(fakeApi.called('DELETE', `/api/users/${bob.id}`)).toHaveLength(1));
  });

  it('when the admin opens the audit log, then entries name who did what to whom, in words, and the filters reach the API', async () => {
    base();
    signIn();
    renderApp('/admin');
    const user = userEvent.setup();
    await user.click(await screen.findByRole('tab', { name: 'Audit log' }));
    const created = await screen.findByRole('row', { name: /Created user/ });
    expect(created).toHaveTextContent('Alice Admin');
    expect(created).toHaveTextContent('Bob Editor');
    expect(created).not.toHaveTextContent(bob.id.slice(0, 8));
    expect(screen.getByRole('row', { name: /Failed sign-in/ })).toHaveTextContent(/someone.*Bob Editor/);
    await user.selectOptions(screen.getByLabelText('By'), 'Alice Admin');
    await user.selectOptions(screen.getByLabelText('Action'), 'Sign-ins');
    await user.type(screen.getByLabelText('From'), '2026-01-02');
    await waitFor(() => {
      const last = new URL('http://x' + fakeApi.called('GET', /^\/api\/audit/).at(-1)!.path).searchParams;
      expect([last.get('actorId'), last.get('action'), new Date(last.get('from')!).getDate()]).toEqual([alice.id, 'auth.*', 2]);
    });
    await waitFor(() => expect(screen.queryByRole('row', { name: /Failed sign-in/ })).toBeNull());
  });

  it('when the users table header is clicked, then the rows sort by that column, and back the other way', async () => {
    base();
    signIn();
    renderApp('/admin');
    const user = userEvent.setup();
    await screen.findByRole('row', { name: /Bob Editor/ });
    const names = () => screen.getAllByTestId('user-row').map((r) => r.querySelector('.user-name')!.textContent);
    expect(names()).toEqual(['Alice Admin', 'Bob Editor']);
    await user.click(screen.getByRole('button', { name: /Name/ }));
    expect(names()).toEqual(['Bob Editor', 'Alice Admin']);
    await user.click(screen.getByRole('button', { name: /Role/ }));
    expect(names()).toEqual(['Alice Admin', 'Bob Editor']); // admin < editor
    expect(screen.getByRole('columnheader', { name: /Role/ })).toHaveAttribute('aria-sort', 'ascending');
  });
});
