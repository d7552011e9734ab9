/**
 * The real `sb` binary for end-to-end tests: spawned with an environment cleaned of the outer
 * Switchboard settings (the server takes its database and tokens from SB_HOME alone), awaited
 * until it prints a given line, and stopped with SIGTERM (SIGKILL after 15 s).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const SB = join(__dirname, '..', 'packages', 'cli', 'dist', 'main.js');

export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['DATABASE_URL', 'SB_URL', 'SB_PORT', 'SB_HOST', 'SB_OWNER_TOKEN', 'SB_GATEWAY_TOKEN']) delete env[name];
  return { ...env, ...extra };
}

/** Spawns `sb <args>` and resolves with the first stdout line that matches; rejects if it exits first. */
export function spawnSb(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ server: ChildProcess; match: RegExpExecArray }> {
  const server = spawn(process.execPath, [SB, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let stderr = '';
    server.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    server.once('exit', (code) => reject(new Error(`sb ${args[0]} exited with ${code}: ${stderr}`)));
    createInterface({ input: server.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const match = ready.exec(line);
      if (match) resolve({ server, match });
    });
  });
}

/** `sb serve --port 0 [flags]` in `home`, once it listens. */
export function startServe(home: string, ...flags: string[]): Promise<{ server: ChildProcess; url: string }> {
  return startServeWith({ SB_HOME: home }, ...flags);
}

/** `sb serve --port 0 [flags]` with these settings (SB_HOME, DATABASE_URL, tokens), once it listens. */
export async function startServeWith(settings: Record<string, string>, ...flags: string[]): Promise<{ server: ChildProcess; url: string }> {
  const { server, match } = await spawnSb(['serve', '--port', '0', ...flags], cleanEnv(settings), /^switchboard: listening on (http:\/\/\S+)$/);
  return { server, url: match[1] ?? '' };
}

export async function stop(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  const timer = setTimeout(() => server.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
