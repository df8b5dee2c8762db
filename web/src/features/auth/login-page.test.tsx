import { describe, expect, it } from 'vitest';
import { screen, waitFor, act } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { getSession, setSession } from '../../api/session';
import { alice, renderApp, signIn } from '../../test/render-app';

const emptyApp = () => {
  fakeApi.on('GET', '/api/system', { demo: false, simulatorUrl: null, engines: ['waha'] });
  fakeApi.on('GET', '/api/chats', { items: [], nextCursor: null });
  fakeApi.on('GET', '/api/shared-with-me', { items: [], nextCursor: null });
  fakeApi.on('GET', '/api/favorites', { items: [] });
  fakeApi.on('GET', '/api/devices', { items: [] });
};

async function fillIn(email: string, password: string) {
  const user = userEvent.setup();
  await user.type(screen.getByLabelText('Email'), email);
  await user.type(screen.getByLabelText('Password'), password);
  await user.click(screen.getByRole('button', { name: 'Sign in' }));
}

describe('sign-in', () => {
  it('when the password is wrong, then it says so and stays on the sign-in page', async () => {
    fakeApi.on('POST', '/api/auth/login', { status: 401, body: { error: { code: 'invalid_credentials', message: 'Invalid email or password' } } });
    renderApp('/');
    await fillIn('alice@demo.test', 'nope');
    expect(await screen.findByRole('alert')).toHaveTextContent('Wrong email or password.');
    expect(getSession()).toBeNull();
  });

  it('when there were too many attempts, then it says how long to wait', async () => {
    fakeApi.on('POST', '/api/auth/login', { status: 429, headers: { 'retry-after': '600' }, body: { error: { code: 'rate_limited', message: 'Too many' } } });
    renderApp('/');
    await fillIn('alice@demo.test', 'whatever-password');
    expect(await screen.findByRole('alert')).toHaveTextContent('Too many sign-in attempts. Try again in 10 minutes.');
  });

  it('when the credentials are right, then the chats screen opens and the session is kept for a reload', async () => {
    emptyApp();
    fakeApi.on('POST', '/api/auth/login', { accessToken: 'a1', refreshToken: 'r'.repeat(30), expiresIn: 900, user: alice });
    const first = renderApp('/');
    await fillIn('alice@demo.test', 'demo-password');
    expect(await screen.findByRole('heading', { name: 'Chats' })).toBeInTheDocument();
    expect(JSON.parse(localStorage.getItem('wa.session')!).accessToken).toBe('a1');
    first.unmount();
    renderApp('/chats'); // the reload
    expect(await screen.findByRole('heading', { name: 'Chats' })).toBeInTheDocument();
    expect(fakeApi.called('GET', /^\/api\/chats/)[0]!.auth).toBe('Bearer a1');
  });
});

describe('session', () => {
  it('when the access token has expired, then it is renewed with the refresh token before the request', async () => {
    emptyApp();
    signIn(alice, { accessToken: 'old', expiresAt: Date.now() - 1000 });
    fakeApi.on('POST', '/api/auth/refresh', ({ body }: { body: { refreshToken: string } }) => ({ accessToken: 'new', refreshToken: `${body.refreshToken}-next`, expiresIn: 900, user: alice }));
    renderApp('/chats');
    await waitFor(() => expect(fakeApi.called('GET', /^\/api\/chats/).length).toBeGreaterThan(0));
    expect(fakeApi.called('POST', '/api/auth/refresh')).toHaveLength(1); // once, though many requests wanted it
    expect(fakeApi.called('GET', /^\/api\/chats/)[0]!.auth).toBe('Bearer new');
  });

  it('when the server answers 401, then the session renews and the request is tried again', async () => {
    emptyApp();
    signIn();
    let calls = 0;
    fakeApi.on('GET', '/api/chats', ({ headers }: { headers: Headers }) =>
      headers.get('authorization') === 'Bearer renewed' ? { items: [], nextCursor: null } : (calls++, { status: 401, body: { error: { code: 'unauthorized', message: 'expired' } } }),
    );
    fakeApi.on('POST', '/api/auth/refresh', { accessToken: 'renewed', refreshToken: 'x'.repeat(30), expiresIn: 900, user: alice });
    renderApp('/chats');
    await waitFor(() => expect(fakeApi.calls.some((c) => c.path.startsWith('/api/chats') && c.auth === 'Bearer renewed')).toBe(true));
    expect(calls).toBeGreaterThan(0);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('when the refresh token is refused, then the person is signed out', async () => {
    emptyApp();
    signIn(alice, { expiresAt: Date.now() - 1000 });
    fakeApi.on('POST', '/api/auth/refresh', { status: 401, body: { error: { code: 'invalid_refresh_token', message: 'no' } } });
    renderApp('/chats');
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
  });

  it('when another tab signs out, then this one shows the sign-in page too', async () => {
    emptyApp();
    signIn();
    renderApp('/chats');
    await screen.findByRole('heading', { name: 'Chats' });
    // The other tab removes the shared session; the browser tells this tab with a storage event.
    act(() => {
      localStorage.removeItem('wa.session');
      window.dispatchEvent(new StorageEvent('storage', { key: 'wa.session', newValue: null }));
    });
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
  });

  it('when the person signs out on every device, then the server is told to end every session', async () => {
    emptyApp();
    signIn();
    fakeApi.on('POST', '/api/auth/logout', { status: 204 });
    renderApp('/chats');
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: /Account: Alice Admin/ }));
    await user.click(screen.getByRole('menuitem', { name: /every device/ }));
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    expect(fakeApi.called('POST', '/api/auth/logout')[0]!.body).toEqual({ refreshToken: 'refresh-token-000000000001', everywhere: true });
    expect(getSession()).toBeNull();
    setSession(null);
  });
});
