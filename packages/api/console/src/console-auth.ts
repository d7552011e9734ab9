/**
 * Signing in. An owner token lives in this tab's sessionStorage only (gone when the tab closes or
 * on sign-out). When the server names a Supabase project (`/console/config.json`), its users sign
 * in with email and password through supabase-js, whose refreshed access token is the bearer token.
 */
import type { SupabaseClient } from '@supabase/supabase-js';
import { z } from 'zod';

const ConsoleConfig = z.object({ supabase: z.object({ url: z.string(), anonKey: z.string() }).nullable() });
export type ConsoleConfig = z.infer<typeof ConsoleConfig>;

const TOKEN_KEY = 'switchboard.console.ownerToken';

export async function loadConsoleConfig(): Promise<ConsoleConfig> {
  const response = await fetch('/console/config.json', { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`GET /console/config.json failed with HTTP ${response.status}`);
  return ConsoleConfig.parse(await response.json());
}

export const storedToken = {
  read: (): string | undefined => sessionStorage.getItem(TOKEN_KEY) ?? undefined,
  write: (token: string): void => sessionStorage.setItem(TOKEN_KEY, token),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

/** supabase-js is a chunk of its own, fetched (from this server) only when the server names a project. */
export async function createSupabase(config: { url: string; anonKey: string }): Promise<SupabaseClient> {
  const { createClient } = await import('@supabase/supabase-js');
  return createClient(config.url, config.anonKey, {
    auth: { storage: window.sessionStorage, persistSession: true, autoRefreshToken: true, detectSessionInUrl: false },
  });
}
