/**
 * Runs an agent CLI once: spawned with an argv array (never a shell) in the given working
 * directory, killed on timeout or abort (SIGTERM, then SIGKILL), stdout and stderr captured. The
 * result names the binary; a failed run carries the tail of its stderr.
 */
import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { AppError } from '@switchboard/shared';
import type { Turn } from './agent-provider';
import type { CliConfig } from './agent-config';

export interface CliRun {
  bin: string;
  /** What errors call the run (the binary by default; the CLI's name when a sandbox wraps it). */
  name?: string | undefined;
  args: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  timeoutMs: number;
  signal: AbortSignal;
  /** Each complete stdout line as it arrives (streaming output formats). */
  onStdoutLine?: ((line: string) => void) | undefined;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const KILL_GRACE_MS = 2000;
const STDERR_TAIL = 2000;

export function runCliProcess(run: CliRun): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(run.bin, run.args, { cwd: run.cwd, env: run.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let stopped: string | undefined;
    const stop = (why: string) => {
      stopped ??= why;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS).unref();
    };
    const timer = setTimeout(() => stop(`timed out after ${run.timeoutMs} ms`), run.timeoutMs);
    const onAbort = () => stop('aborted');
    run.signal.addEventListener('abort', onAbort, { once: true });
    let partialLine = '';
    // Decodes across chunks: a character split between two chunks must not become U+FFFD.
    const decoder = new StringDecoder('utf8');
    child.stdout.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      if (!run.onStdoutLine) return;
      const lines = (partialLine + decoder.write(chunk)).split('\n');
      partialLine = lines.pop() ?? '';
      for (const line of lines) run.onStdoutLine(line);
    });
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      cleanup();
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      const why = missing ? 'it was not found (install it, or set its path with `sb agents set <agent> --bin <path>`)' : error.message;
      reject(new AppError('upstream_failed', `${run.name ?? run.bin} could not be started: ${why}`, { cause: error }));
    });
    child.on('close', (code) => {
      cleanup();
      const result = { code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
      if (stopped) reject(new AppError('upstream_failed', `${run.name ?? run.bin} ${stopped}${stderrTail(result.stderr)}`));
      else resolve(result);
    });
    function cleanup() {
      clearTimeout(timer);
      run.signal.removeEventListener('abort', onAbort);
    }
  });
}

export function stderrTail(stderr: string): string {
  const text = stderr.trim();
  return text ? `: ${text.slice(-STDERR_TAIL)}` : '';
}

/** One line of a CLI's JSON-lines output; undefined for anything else (progress text, blank lines). */
export function parseJsonLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined; // not an event: only JSON lines count
  }
}

/** The environment variable an agent CLI reads the turn token from (codex, opencode). */
export const TURN_TOKEN_ENV = 'SB_TURN_TOKEN';

/** Every contact's turn runs restricted; the owner's too when the agent says so. */
export function isRestricted(turn: Turn, config: CliConfig): boolean {
  return turn.session.contactId !== null || config.ownerProfile === 'restricted';
}

/** The owner's extra arguments, on the owner's unrestricted turns only. */
export function ownerArgsOf(turn: Turn, config: CliConfig): string[] {
  return isRestricted(turn, config) ? [] : config.ownerArgs;
}
