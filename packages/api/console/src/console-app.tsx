/**
 * The console: the sign-in page until a token is known, then the signed-in shell (navigation,
 * notice line, the page the URL names). A token the server refuses signs out with the server's
 * message; a Supabase session that ends (or is refreshed) changes the token with it.
 */
import type { SupabaseClient } from '@supabase/supabase-js';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { createSupabase, loadConsoleConfig, storedToken } from './console-auth';
import { errorMessage } from './console-context';
import { ConsoleShell } from './console-shell';
import { SignInPage } from './sign-in-page';

interface Auth {
  token: string;
  via: 'token' | 'supabase';
}

export function ConsoleApp() {
  const [supabase, setSupabase] = useState<SupabaseClient>();
  const [configError, setConfigError] = useState<string>();
  const [auth, setAuth] = useState<Auth | undefined>(() => {
    const token = storedToken.read();
    return token ? { token, via: 'token' } : undefined;
  });
  const [message, setMessage] = useState<string>();

  useEffect(() => {
    loadConsoleConfig()
      .then(async (config) => {
        if (config.supabase) setSupabase(await createSupabase(config.supabase));
      })
      .catch((error: unknown) => setConfigError(errorMessage(error)));
  }, []);
  useFollowSupabase(supabase, setAuth);

  const signOut = useCallback((why?: string) => {
    storedToken.clear();
    void supabase?.auth.signOut().catch(() => undefined);
    setAuth(undefined);
    setMessage(why);
  }, [supabase]);

  if (!auth) {
    const signIn = (token: string, via: Auth['via']) => {
      if (via === 'token') storedToken.write(token);
      setMessage(undefined);
      setAuth({ token, via });
    };
    return <SignInPage supabase={supabase} configError={configError} message={message} onSignedIn={signIn} />;
  }
  return <ConsoleShell token={auth.token} onSignOut={signOut} />;
}

/** Takes the Supabase session's access token as it appears, is refreshed, or ends. */
function useFollowSupabase(supabase: SupabaseClient | undefined, setAuth: (update: (current: Auth | undefined) => Auth | undefined) => void): void {
  useEffect(() => {
    if (!supabase) return;
    const { data } = supabase.auth.onAuthStateChange((_event, session) => {
      setAuth((current) => {
        if (session) return current?.via === 'token' ? current : { token: session.access_token, via: 'supabase' };
        return current?.via === 'supabase' ? undefined : current;
      });
    });
    return () => data.subscription.unsubscribe();
  }, [supabase, setAuth]);
}
