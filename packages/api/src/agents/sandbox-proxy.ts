/**
 * The network side of the CLI sandbox: a filtering HTTP/SOCKS proxy per network allowlist, from
 * @anthropic-ai/sandbox-runtime (it resolves allowed names itself and refuses loopback and local
 * addresses unless an IP literal is listed). Its manager holds one process-wide config (the
 * allowlist is not enforced per wrapped command), so each allowlist runs in a child process of its
 * own: its own proxy, token and bridge socket. A sandbox is given only its allowlist's socket.
 * A child lives until the server closes it or dies (its stdin ends); one that died is started again.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { Env } from './agent-env';

/** How a sandbox reaches its proxy: the host's bridge socket, and the token the proxy wants. */
export interface SandboxProxy {
  socketPath: string;
  token: string;
}

const Started = z.object({ socketPath: z.string().min(1), token: z.string().min(1) });
const START_TIMEOUT_MS = 20_000;

/** The child: starts the manager for the allowlist in argv, prints the socket and token, serves until stdin ends. */
const PROXY_HOST = `
const { SandboxManager } = await import(process.argv[1]);
await SandboxManager.initialize({
  network: { allowedDomains: JSON.parse(process.argv[2]), deniedDomains: [], strictAllowlist: true },
  filesystem: { denyRead: [], allowWrite: [], denyWrite: [] },
});
process.stdout.write(JSON.stringify({ socketPath: SandboxManager.getLinuxHttpSocketPath(), token: SandboxManager.getProxyAuthToken() }) + '\\n');
process.stdin.on('end', () => SandboxManager.reset().finally(() => process.exit(0)));
process.stdin.resume();
`;

export interface SandboxProxies {
  /** The proxy that lets through exactly `hosts` (started on first use, then kept). */
  proxyFor(hosts: string[]): Promise<SandboxProxy>;
  close(): Promise<void>;
}

export function createSandboxProxies(env: Env): SandboxProxies {
  const proxies = new Map<string, { child: ChildProcessWithoutNullStreams; proxy: Promise<SandboxProxy> }>();
  const manager = pathToFileURL(require.resolve('@anthropic-ai/sandbox-runtime')).href;

  function start(key: string, hosts: string[]) {
    const child = spawn(process.execPath, ['--input-type=module', '-e', PROXY_HOST, manager, JSON.stringify(hosts)], {
      env: { PATH: env.PATH, HOME: env.HOME, LANG: env.LANG }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    const proxy = readStarted(child);
    child.once('exit', () => {
      if (proxies.get(key)?.child === child) proxies.delete(key);
    });
    proxies.set(key, { child, proxy });
    return proxy;
  }

  return {
    proxyFor(hosts) {
      const allowed = [...new Set(hosts)].sort();
      const key = allowed.join(' ');
      return proxies.get(key)?.proxy ?? start(key, allowed);
    },
    async close() {
      const children = [...proxies.values()].map((entry) => entry.child);
      proxies.clear();
      await Promise.all(children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.stdin.end();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }));
    },
  };
}

/** The child's first line (socket and token), or why it did not start. */
function readStarted(child: ChildProcessWithoutNullStreams): Promise<SandboxProxy> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => fail(`no answer within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${why}${stderr.trim() ? `: ${stderr.trim().slice(-1000)}` : ''}`));
    };
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const line = stdout.split('\n')[0];
      if (line === undefined || !stdout.includes('\n')) return;
      clearTimeout(timer);
      const started = Started.safeParse(parseLine(line));
      if (started.success) resolve(started.data);
      else fail(`unexpected answer ${line}`);
    });
    child.once('exit', (code) => fail(`exited with code ${code}`));
    child.once('error', (error) => fail(error.message));
  });
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined; // not JSON: reported as an unexpected answer
  }
}
