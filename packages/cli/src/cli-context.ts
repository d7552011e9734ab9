/**
 * Where `sb` connects and as whom: `--url`, else SB_URL, else 127.0.0.1 on SB_PORT (8787); the
 * owner token from SB_OWNER_TOKEN, else `$SB_HOME/owner-token` (`sb tenants`: the installation's
 * admin token from SB_ADMIN_TOKEN, else `$SB_HOME/admin-token`). A command's action runs through
 * `run`, which builds the typed client for this invocation and explains connection failures.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { AppError, createApiClient, type ApiClient } from '@switchboard/shared';
import { explainConnectionError, type TokenSource } from './cli-errors';
import { parseFlags, PortText, ServerUrl } from './cli-flags';
import { createContactDirectory, type ContactDirectory } from './cli-id-prefix';
import { createCliOutput, type CliIo, type CliOutput } from './cli-output';

const CliEnv = z.object({
  SB_URL: ServerUrl.optional(),
  SB_PORT: PortText.optional(),
  SB_OWNER_TOKEN: z.string().min(1).optional(),
  SB_ADMIN_TOKEN: z.string().min(1).optional(),
  SB_HOME: z.string().min(1).optional(),
});
type CliEnv = z.infer<typeof CliEnv>;

const GlobalFlags = z.object({ url: ServerUrl.optional(), json: z.boolean().optional(), wide: z.boolean().optional() });

export interface CliContextDeps {
  env: Record<string, string | undefined>;
  io: CliIo;
  /** The transport; tests pass a fake server's. */
  fetch?: typeof fetch;
}

export interface CommandContext {
  client: ApiClient;
  url: string;
  out: CliOutput;
  /** Contact ids from prefixes, and contacts' names for listings (listed once per command). */
  contacts: ContactDirectory;
}

export interface CliContext {
  /** The output for this invocation (`--json` or not). */
  output(command: Command): CliOutput;
  /** Runs an action with the client for this invocation (the owner's, or `as: 'admin'`); failures to connect name the URL. */
  run(command: Command, action: (context: CommandContext) => Promise<void>, options?: { as?: 'owner' | 'admin' }): Promise<void>;
}

export function createCliContext(deps: CliContextDeps): CliContext {
  const output = (command: Command) => {
    const flags = parseFlags(GlobalFlags, command.optsWithGlobals());
    return createCliOutput(deps.io, { isJson: flags.json === true, isWide: flags.wide === true });
  };
  return {
    output,
    async run(command, action, options = {}) {
      const flags = parseFlags(GlobalFlags, command.optsWithGlobals());
      const env = parseEnv(deps.env);
      const url = flags.url ?? env.SB_URL ?? `http://127.0.0.1:${env.SB_PORT ?? 8787}`;
      const { token, source } = loadToken(env, options.as ?? 'owner');
      const client = createApiClient({ baseUrl: url, token, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
      try {
        await action({ client, url, out: output(command), contacts: createContactDirectory(client) });
      } catch (error) {
        throw explainConnectionError(error, url, source);
      }
    },
  };
}

function parseEnv(env: Record<string, string | undefined>): CliEnv {
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = CliEnv.safeParse(set);
  if (parsed.success) return parsed.data;
  const message = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
  throw new AppError('invalid_input', `bad environment: ${message}`);
}

function loadToken(env: CliEnv, role: 'owner' | 'admin'): { token: string; source: TokenSource } {
  const [variable, given] = role === 'admin' ? ['SB_ADMIN_TOKEN', env.SB_ADMIN_TOKEN] : ['SB_OWNER_TOKEN', env.SB_OWNER_TOKEN];
  if (given) return { token: given, source: { kind: 'env', role } };
  const path = join(env.SB_HOME ?? join(homedir(), '.switchboard'), `${role}-token`);
  const token = readTokenFile(path);
  if (!token) throw new AppError('not_found', `no ${role} token: start the server with \`sb serve\` first or set ${variable}`);
  return { token, source: { kind: 'file', path, role } };
}

const FsError = z.object({ code: z.string().optional(), message: z.string() });

export function readTokenFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch (error) {
    const failure = FsError.safeParse(error);
    if (failure.success && failure.data.code === 'ENOENT') return undefined;
    const reason = failure.success ? failure.data.message : String(error);
    throw new AppError('forbidden', `cannot read the token in ${path}: ${reason}`, { cause: error });
  }
}
