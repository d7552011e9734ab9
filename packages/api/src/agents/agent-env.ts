/**
 * The environments agent CLIs run with. The owner's own turns get the server's environment minus
 * Switchboard's secrets (so the owner's CLI login and config work). A restricted turn (every
 * contact's) gets an allowlist: PATH, LANG, TZ, its own homes, the turn token, and only the
 * variables its agent names for the CLI itself; nothing else of the server's reaches it.
 */
import { join } from 'node:path';

const SWITCHBOARD_SECRETS = ['SB_OWNER_TOKEN', 'SB_GATEWAY_TOKEN', 'DATABASE_URL', 'SUPABASE_JWT_SECRET'];
const PASSED_THROUGH = ['PATH', 'LANG', 'TZ'];
const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

export type Env = Record<string, string | undefined>;

/** The server's environment minus Switchboard's own secrets: what the owner's own turns start from. */
export function agentEnv(env: Env): Env {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !SWITCHBOARD_SECRETS.includes(name)));
}

/** The home variables of a CLI home directory: HOME and every CLI's own directory inside it. */
export function cliHomeEnv(home: string): Record<string, string> {
  return {
    HOME: home,
    CLAUDE_CONFIG_DIR: join(home, '.claude'),
    CODEX_HOME: join(home, '.codex'),
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
  };
}

/**
 * A restricted turn's environment: exactly PATH, LANG, TZ (when set), the homes, the `extra`
 * variables (the turn token) and those of `cliEnv` that are set in the server's environment.
 */
export function restrictedEnv(server: Env, home: string, cliEnv: string[], extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of [...PASSED_THROUGH, ...cliEnv]) {
    const value = server[name];
    if (value !== undefined) env[name] = value;
  }
  env.PATH ??= DEFAULT_PATH;
  return { ...env, ...cliHomeEnv(home), ...extra };
}
