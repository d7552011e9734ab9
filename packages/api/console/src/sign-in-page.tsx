/**
 * Sign-in: the owner token (a password field labelled "Owner token"; the token is tried against
 * the API before it is kept), and, when the server accepts Supabase Auth, email and password.
 */
import type { SupabaseClient } from '@supabase/supabase-js';
import { useState } from 'preact/hooks';
import { createApiClient } from '@switchboard/shared';
import { errorMessage } from './console-context';

interface SignInProps {
  supabase: SupabaseClient | undefined;
  configError: string | undefined;
  message: string | undefined;
  onSignedIn(token: string, via: 'token' | 'supabase'): void;
}

export function SignInPage(props: SignInProps) {
  return (
    <main class="sign-in">
      <h1>Switchboard console</h1>
      {props.message && <p role="alert" class="error">{props.message}</p>}
      {props.configError && <p role="alert" class="error">Could not read the console's configuration: {props.configError}</p>}
      <TokenForm onSignedIn={(token) => props.onSignedIn(token, 'token')} />
      {props.supabase && <SupabaseForm supabase={props.supabase} onSignedIn={(token) => props.onSignedIn(token, 'supabase')} />}
    </main>
  );
}

function TokenForm({ onSignedIn }: { onSignedIn(token: string): void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const client = createApiClient({ baseUrl: location.origin, token: token.trim(), fetch: window.fetch.bind(window), timeoutMs: 30_000 });
    client.contacts.list().then(
      () => onSignedIn(token.trim()),
      (failure: unknown) => {
        setBusy(false);
        setError(`Sign-in failed: ${errorMessage(failure)}`);
      },
    );
  };
  return (
    <form class="panel" onSubmit={submit} aria-labelledby="token-heading">
      <h2 id="token-heading">With the owner token</h2>
      <label for="owner-token">Owner token</label>
      <input id="owner-token" type="password" autocomplete="off" required value={token} onInput={(e) => setToken(e.currentTarget.value)} />
      {error && <p role="alert" class="error">{error}</p>}
      <button type="submit" disabled={busy || token.trim() === ''}>Sign in</button>
    </form>
  );
}

function SupabaseForm({ supabase, onSignedIn }: { supabase: SupabaseClient; onSignedIn(token: string): void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    supabase.auth.signInWithPassword({ email, password }).then(({ data, error: failure }) => {
      setBusy(false);
      if (failure || !data.session) return setError(`Sign-in failed: ${failure?.message ?? 'no session'}`);
      onSignedIn(data.session.access_token);
    }, (failure: unknown) => {
      setBusy(false);
      setError(`Sign-in failed: ${errorMessage(failure)}`);
    });
  };
  return (
    <form class="panel" onSubmit={submit} aria-labelledby="supabase-heading">
      <h2 id="supabase-heading">With your account</h2>
      <label for="account-email">Email</label>
      <input id="account-email" type="email" autocomplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
      <label for="account-password">Password</label>
      <input id="account-password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
      {error && <p role="alert" class="error">{error}</p>}
      <button type="submit" disabled={busy}>Sign in with email</button>
    </form>
  );
}
