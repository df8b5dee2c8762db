import { useEffect, useState } from 'react';
import { LoginPage } from '../features/auth/login-page';
import { loadSession, logout, refresh, saveSession, type Session } from '../features/auth/session';

/** Until the web issue lands: sign in, see who you are, find the API documentation. */
export function App() {
  const [session, setSession] = useState<Session | null>(loadSession);

  useEffect(() => {
    // Renew on load so a stored session survives a reload past the access token's lifetime.
    const s = loadSession();
    if (!s) return;
    refresh(s.refreshToken).then(
      (fresh) => {
        saveSession(fresh);
        setSession(fresh);
      },
      () => {
        saveSession(null);
        setSession(null);
      },
    );
  }, []);

  if (!session) return <LoginPage onLogin={(s) => (saveSession(s), setSession(s))} />;
  return (
    <main className="home">
      <header>
        <h1>Team WhatsApp gateway</h1>
        <button
          onClick={() => {
            void logout(session.refreshToken).catch(() => undefined);
            saveSession(null);
            setSession(null);
          }}
        >
          Sign out
        </button>
      </header>
      <p>
        Signed in as <strong>{session.user.name}</strong> ({session.user.email}), role <strong>{session.user.role}</strong>.
      </p>
      <p>
        The API is documented at <a href="/api/docs">/api/docs</a>.
      </p>
    </main>
  );
}
