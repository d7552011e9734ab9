/**
 * Where and how one CLI turn runs. Every turn works in `$SB_HOME/workspaces/<agent>/<contact|owner>`.
 * A restricted turn (every contact's; the owner's with ownerProfile `restricted`) also gets its own
 * CLI home `$SB_HOME/contacts/<contact|owner>`, run files under `$SB_HOME/run/<contact|owner>`, an
 * allowlisted environment and the OS sandbox (unless the agent opts out), which shows it only those
 * three places. The owner's full turns keep the server's environment (minus our secrets) and home.
 */
import { existsSync, lstatSync, mkdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { TenantId } from '@switchboard/shared';
import type { Turn } from './agent-provider';
import type { CliConfig } from './agent-config';
import { cliHomeEnv, restrictedEnv, type Env } from './agent-env';
import { isRestricted, runCliProcess, TURN_TOKEN_ENV, type CliResult } from './cli-process';
import type { CliSandbox } from './cli-sandbox';
import { sandboxHosts } from './sandbox-hosts';

/** What every CLI provider is made with. */
export interface CliHost {
  /** The directory of a tenant's files under `$SB_HOME`: its workspaces/, contacts/ and run/ live there. */
  tenantHome: (tenantId: TenantId) => string;
  /** The server's environment minus Switchboard's secrets (agentEnv). */
  env: Env;
  sandbox: CliSandbox;
  log: (line: string) => void;
}

/** The directories of one turn. */
export interface TurnPlace {
  /** The working directory. */
  cwd: string;
  /** Per-turn files (e.g. an MCP config holding the turn token). */
  runDir: string;
  /** The turn's own CLI home; null on the owner's full turns (they use the server's). */
  cliHome: string | null;
  restricted: boolean;
}

export interface CliTurnRun {
  args: string[];
  signal: AbortSignal;
  onStdoutLine?: ((line: string) => void) | undefined;
}

/** The turn's directories under its tenant's home, created if missing (readable by the server's user only). */
export function placeTurn(home: string, turn: Turn, config: CliConfig): TurnPlace {
  const who = turn.session.contactId ?? 'owner';
  const restricted = isRestricted(turn, config);
  const cwd = join(home, 'workspaces', turn.agent.name, who);
  mkdirSync(cwd, { recursive: true, mode: 0o700 });
  const cliHome = restricted ? join(home, 'contacts', who) : null;
  const runDir = join(home, 'run', who);
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  if (cliHome) {
    mkdirSync(cliHome, { recursive: true, mode: 0o700 });
    for (const dir of Object.values(cliHomeEnv(cliHome))) makeDirInside(cliHome, relative(cliHome, dir));
  }
  return { cwd, runDir, cliHome, restricted };
}

/**
 * Creates `root/path` one level at a time, stopping at anything that is not a plain directory:
 * a turn may have put a symbolic link into its own home, and the server must never follow it.
 */
function makeDirInside(root: string, path: string): void {
  let dir = root;
  for (const part of path.split(sep).filter(Boolean)) {
    dir = join(dir, part);
    if (!existsSync(dir) && !isLink(dir)) mkdirSync(dir, { mode: 0o700 });
    if (isLink(dir) || !lstatSync(dir).isDirectory()) return;
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false; // nothing there
  }
}

/** Runs the CLI for a turn in its place, with the environment (and sandbox) its kind of turn gets. */
export async function runCliTurn(host: CliHost, turn: Turn, config: CliConfig, place: TurnPlace, run: CliTurnRun): Promise<CliResult> {
  const token: Record<string, string> = turn.mcp ? { [TURN_TOKEN_ENV]: turn.mcp.token } : {};
  const common = { name: config.bin, cwd: place.cwd, timeoutMs: config.timeoutMs, signal: run.signal, onStdoutLine: run.onStdoutLine };
  if (!place.cliHome) return runCliProcess({ ...common, bin: config.bin, args: run.args, env: { ...host.env, ...token } });
  const env = restrictedEnv(host.env, place.cliHome, config.cliEnv, token);
  if (config.sandbox === 'off') return runCliProcess({ ...common, bin: config.bin, args: run.args, env });
  const sandboxed = await host.sandbox.wrap({
    agent: turn.agent.name, bin: config.bin, args: run.args, env, cwd: place.cwd,
    writable: [place.cwd, place.cliHome], readable: [place.runDir],
    hosts: sandboxHosts(turn.agent.provider, config, host.env, turn.mcp?.url),
  });
  return runCliProcess({ ...common, ...sandboxed });
}
