import { lazy, Suspense, useEffect, useRef } from 'react';
import { Provider } from 'react-redux';
import { BrowserRouter, Link, MemoryRouter, Navigate, Route, Routes } from 'react-router';
import { api } from '../api/api';
import { realtime } from '../api/realtime';
import { useSession } from '../api/session';
import { LoginPage } from '../features/auth/login-page';
import type { AppStore } from './store';
import { Shell } from './shell';

// Each screen is its own chunk: the first load carries only the shell and the sign-in page.
const ChatsRoute = lazy(() => import('./chats-route'));
const DevicesPage = lazy(() => import('../features/devices/devices-page'));
const SearchPage = lazy(() => import('../features/search/search-page'));
const AdminPage = lazy(() => import('../features/admin/admin-page'));
const ContactsPage = lazy(() => import('../features/contacts/contacts-page'));

export function App({ store, initialPath }: { store: AppStore; initialPath?: string }) {
  const Router = initialPath ? MemoryRouter : BrowserRouter;
  return (
    <Provider store={store}>
      <Router {...(initialPath ? { initialEntries: [initialPath] } : {})}>
        <Gate store={store} />
      </Router>
    </Provider>
  );
}

function Gate({ store }: { store: AppStore }) {
  const session = useSession();
  const signedIn = !!session;
  const was = useRef(signedIn);

  useEffect(() => {
    if (signedIn) realtime.start();
    else realtime.stop();
    // Signed out (here or in another tab): nothing of the last person stays in memory.
    if (was.current && !signedIn) store.dispatch(api.util.resetApiState());
    was.current = signedIn;
  }, [signedIn, store]);

  if (!session) return <LoginPage />;
  const admin = session.user.role === 'admin';
  return (
    <Shell user={session.user}>
      <Suspense fallback={<div className="loading" role="status">Loading…</div>}>
        <Routes>
          <Route path="/" element={<Navigate to="/chats" replace />} />
          <Route path="/login" element={<Navigate to="/chats" replace />} />
          <Route path="/chats/:chatId?" element={<ChatsRoute />} />
          <Route path="/devices" element={<DevicesPage />} />
          <Route path="/search" element={<SearchPage />} />
          <Route path="/contacts/:contactId?" element={<ContactsPage />} />
          <Route path="/admin" element={admin ? <AdminPage /> : <NotAllowed />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </Suspense>
    </Shell>
  );
}

const NotAllowed = () => (
  <main className="page">
    <h1>Not allowed</h1>
    <p>Only administrators manage users and read the audit log.</p>
  </main>
);
const NotFound = () => (
  <main className="page not-found" aria-labelledby="nf-title">
    <h1 id="nf-title">Page not found</h1>
    <p className="muted">There is nothing at this address. It may have moved, or the link is mistyped.</p>
    <p className="actions">
      <Link className="button-link primary" to="/chats">
        Back to chats
      </Link>
      <Link className="button-link" to="/contacts">
        Contacts
      </Link>
    </p>
  </main>
);
