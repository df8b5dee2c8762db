import { useId, useState, type FormEvent } from 'react';
import { AuthError, login } from '../../api/session';

function explain(e: unknown): string {
  if (!(e instanceof AuthError)) return 'Something went wrong. Try again.';
  if (e.code === 'network') return e.message;
  if (e.status === 401) return 'Wrong email or password.';
  if (e.status === 429) {
    const wait = e.retryAfter ? ` Try again in ${Math.ceil(e.retryAfter / 60)} minute${e.retryAfter > 60 ? 's' : ''}.` : ' Wait a few minutes and try again.';
    return `Too many sign-in attempts.${wait}`;
  }
  if (e.status === 400) return 'Enter a valid email address and your password.';
  if (e.status >= 500) return 'The server had a problem. Try again in a moment.';
  return e.message;
}

export function LoginPage() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const errId = useId();

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(email.trim(), password);
    } catch (err) {
      setError(explain(err));
      setBusy(false);
    }
  }

  return (
    <main className="login">
      <div className="login-band" aria-hidden="true" />
      <form onSubmit={submit} aria-labelledby="login-title" aria-describedby={error ? errId : undefined} noValidate={false}>
        <h1 id="login-title">Sign in</h1>
        <p className="muted">Your team's WhatsApp conversations in one place.</p>
        <label>
          Email
          <input type="email" name="email" autoComplete="username" required autoFocus value={email} onChange={(e) => setEmail(e.target.value)} aria-invalid={!!error} />
        </label>
        <label>
          Password
          <input type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} aria-invalid={!!error} />
        </label>
        {error && (
          <p role="alert" id={errId} className="error">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
