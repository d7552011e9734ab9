/**
 * The OS sandbox of restricted CLI turns (every contact's): bubblewrap for the filesystem and
 * namespaces (sandbox-bwrap.ts) and a filtering proxy per network allowlist (sandbox-proxy.ts); the
 * sandboxed CLI gets exactly the environment it is given plus the proxy's variables. Where no
 * sandbox can be set up (no bwrap, socat or ripgrep, user namespaces off, not Linux) `wrap` refuses
 * with how to fix it. A working setup is checked once; a failing one again at the next turn.
 */
import { accessSync, closeSync, constants, openSync, readSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { AppError } from '@switchboard/shared';
import type { Env } from './agent-env';
import { runCliProcess } from './cli-process';
import { bwrapArgs, bwrapBaseArgs, installDirs, SANDBOX_PROXY_PORT } from './sandbox-bwrap';
import { createSandboxProxies } from './sandbox-proxy';

/** One sandboxed run: the CLI and its argv, environment, working directory, paths and hosts. */
export interface SandboxSpec {
  /** The agent, for the refusal's advice. */
  agent: string;
  bin: string;
  args: string[];
  env: Record<string, string>;
  /** The working directory inside the sandbox. */
  cwd: string;
  writable: string[];
  readable: string[];
  /** The network allowlist (`host`, `*.host`, `host:port`, IP literals). */
  hosts: string[];
}

/** What to spawn instead of the CLI. */
export interface SandboxedCommand {
  bin: string;
  args: string[];
  env: Record<string, string>;
}

export interface SandboxStatus {
  ok: boolean;
  detail: string;
}

export interface CliSandbox {
  /** Whether sandboxed turns can run on this machine, and why not. */
  status(): Promise<SandboxStatus>;
  /** The command that runs `spec` in the sandbox; refuses (upstream_failed) when none can be set up. */
  wrap(spec: SandboxSpec): Promise<SandboxedCommand>;
  close(): Promise<void>;
}

const TOOLS = ['bwrap', 'socat', 'rg'] as const;

/** The status, and where the tools are when a sandbox works. */
type SandboxSetup = SandboxStatus & { tools?: Record<(typeof TOOLS)[number], string> };
const TRIAL_TIMEOUT_MS = 10_000;

export function createCliSandbox(options: { env: Env; home: string }): CliSandbox {
  const proxies = createSandboxProxies(options.env);
  let ready: Promise<SandboxSetup> | undefined;

  async function setup() {
    ready ??= probe(options.env);
    const result = await ready;
    if (!result.ok) ready = undefined;
    return result;
  }

  return {
    status: async () => {
      const { ok, detail } = await setup();
      return { ok, detail };
    },
    async wrap(spec) {
      const state = await setup();
      if (!state.tools) throw new AppError('upstream_failed', refusal(spec.agent, state.detail));
      const bin = findExecutable(spec.bin, options.env.PATH);
      refuseExposing(bin, options.home, options.env.HOME);
      const proxy = await proxies.proxyFor(spec.hosts).catch((error: unknown) => {
        throw new AppError('upstream_failed', refusal(spec.agent, `its network proxy did not start: ${String(error)}`), { cause: error });
      });
      const proxyUrl = `http://srt:${proxy.token}@127.0.0.1:${SANDBOX_PROXY_PORT}`;
      const interpreter = interpreterOf(bin, options.env.PATH);
      if (interpreter) refuseExposing(interpreter, options.home, options.env.HOME);
      const readable = [...spec.readable, ...(interpreter ? installDirs(interpreter) : [])];
      const args = bwrapArgs({ ...spec, bin, readable, proxySocket: proxy.socketPath, socat: state.tools.socat });
      const env = { ...spec.env, HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl, http_proxy: proxyUrl, https_proxy: proxyUrl };
      return { bin: state.tools.bwrap, args, env };
    },
    close: () => proxies.close(),
  };
}

/** Finds the tools and runs an empty sandbox once: a sandbox is only "ok" when one really ran. */
async function probe(env: Env): Promise<SandboxSetup> {
  if (process.platform !== 'linux') return { ok: false, detail: `the sandbox needs Linux (this is ${process.platform})` };
  const [bwrap, socat, rg] = TOOLS.map((tool) => findOnPath(tool, env.PATH));
  if (!bwrap || !socat || !rg) {
    const missing = TOOLS.filter((_, index) => ![bwrap, socat, rg][index]);
    return { ok: false, detail: `${missing.join(', ')} not found on PATH` };
  }
  const tools = { bwrap, socat, rg };
  const trial = await runCliProcess({
    bin: tools.bwrap, args: [...bwrapBaseArgs(), '--', '/bin/sh', '-c', 'exit 0'], cwd: '/', env: { PATH: env.PATH ?? '/usr/bin:/bin' },
    timeoutMs: TRIAL_TIMEOUT_MS, signal: new AbortController().signal,
  }).catch((error: unknown) => ({ code: null, stdout: '', stderr: String(error) }));
  if (trial.code !== 0) return { ok: false, detail: `bubblewrap could not start a sandbox: ${trial.stderr.trim() || `exit code ${trial.code}`}` };
  return { ok: true, detail: `bubblewrap at ${tools.bwrap}`, tools };
}

function refusal(agent: string, why: string): string {
  return `Contact turns of CLI agents run in an OS sandbox, and none can be set up here: ${why}. `
    + 'Install bubblewrap, socat and ripgrep (Debian/Ubuntu: apt-get install bubblewrap socat ripgrep) and allow unprivileged '
    + 'user namespaces (sysctl kernel.unprivileged_userns_clone=1; Ubuntu 24.04+: kernel.apparmor_restrict_unprivileged_userns=0), '
    + `or run this agent's contact turns unsandboxed: sb agents set ${agent} --sandbox off`;
}

/** A CLI whose install directory would show SB_HOME or the server user's home inside the sandbox is refused. */
function refuseExposing(bin: string, home: string, userHome: string | undefined): void {
  for (const dir of installDirs(bin)) {
    const shown = [home, userHome].find((secret) => secret !== undefined && isWithin(realpathOr(secret), dir))
      ?? (isWithin(dir, realpathOr(home)) ? home : undefined);
    if (shown !== undefined) {
      throw new AppError('upstream_failed', `${bin} cannot run sandboxed: its directory ${dir} would show ${shown} inside the sandbox (install the CLI elsewhere)`);
    }
  }
}

function isWithin(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** A script's interpreter (`#!/usr/bin/env node`, `#!/opt/node/bin/node`), so an npm-installed CLI finds its node. */
function interpreterOf(bin: string, path: string | undefined): string | undefined {
  const head = readHead(bin);
  const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(head)?.slice(1) ?? [];
  const [program, argument] = shebang;
  if (!program) return undefined;
  return program.endsWith('/env') && argument ? findOnPath(argument, path) : program;
}

function readHead(bin: string): string {
  const fd = openSync(bin, 'r');
  try {
    const buffer = Buffer.alloc(256);
    return buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString('latin1').split('\n')[0] ?? '';
  } finally {
    closeSync(fd);
  }
}

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path); // not there (yet): compare the path as written
  }
}

/** The CLI as an absolute path: a path as given, or a name looked up on PATH. */
function findExecutable(bin: string, path: string | undefined): string {
  const found = bin.includes('/') ? resolve(bin) : findOnPath(bin, path);
  if (found === undefined || !isExecutable(found)) {
    throw new AppError('upstream_failed', `${bin} could not be started: it was not found (install it, or set its path with \`sb agents set <agent> --bin <path>\`)`);
  }
  return found;
}

function findOnPath(name: string, path: string | undefined): string | undefined {
  return (path ?? '').split(':').filter(Boolean).map((dir) => join(dir, name)).find(isExecutable);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false; // missing or not executable: not this one
  }
}
