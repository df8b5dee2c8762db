import { render } from '@testing-library/react';
import { App } from '../app/app';
import { makeStore } from '../app/store';
import { setSession, type Session, type User } from '../api/session';

export const alice: User = { id: '00000000-0000-4000-8000-00000000000a', orgId: 'o', email: 'alice@demo.test', name: 'Alice Admin', role: 'admin' };

export function signIn(user: User = alice, over: Partial<Session> = {}) {
  setSession({ accessToken: 'access-1', refreshToken: 'refresh-token-000000000001', expiresAt: Date.now() + 900_000, user, ...over });
}

/** The whole app at a path, with its real store and API over the fake network. */
export function renderApp(path = '/chats') {
  const store = makeStore();
  return { store, ...render(<App store={store} initialPath={path} />) };
}
