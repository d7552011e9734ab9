/**
 * Real server processes for crash and scale-out tests: `node packages/api/dist/main.js` (or `sb serve`)
 * with an env the test chooses (nothing of the test's own SB_* / DATABASE_URL / PG* env leaks in).
 * `start` resolves with the URL from the `switchboard: listening on <url>` line; `kill(signal)` waits
 * for the exit. `useServerProcesses()` registers an afterAll that kills whatever is still running.
 * Below it, the traffic those tests send: senders posting in order, and each sender's transcript.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiClient, type ApiClient, type ContactId, type InboundMessage, type InboundResult } from '@switchboard/shared';

export const SERVER_MAIN = join(__dirname, '..', 'packages', 'api', 'dist', 'main.js');
/** The `sb` command line, whose `sb serve` runs the server and the gateway in one process. */
export const SB_CLI_MAIN = join(__dirname, '..', 'packages', 'cli', 'dist', 'main.js');

/** A fresh PGlite data directory takes several seconds (and ~800 MB) to create. */
/**
 * New `$SB_HOME`s for processes that share one PostgreSQL database: each holds the same
 * `database-password`, as the README asks of such processes (the login role has one password).
 */
export function homesSharingDatabase(prefix: string): () => string {
  const password = randomBytes(32).toString('base64url');
  return () => {
    const home = mkdtempSync(join(tmpdir(), prefix));
    writeFileSync(join(home, 'database-password'), `${password}\n`, { mode: 0o600 });
    return home;
  };
}

const START_TIMEOUT_MS = 90_000;
const OUTPUT_LIMIT = 64 * 1024;
const LISTENING = /switchboard: listening on (\S+)/;

export interface ServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ServerProcess {
  private stdoutText = '';
  private stderrText = '';
  private exit?: ServerExit;
  readonly exited: Promise<ServerExit>;

  /** The base URL from the `listening on` line. */
  url = '';

  private constructor(private readonly child: ChildProcess, readonly name: string) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.stdoutText = keepTail(this.stdoutText + chunk)));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderrText = keepTail(this.stderrText + chunk)));
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`server ${this.name} has no pid (spawn failed)`);
    return this.child.pid;
  }

  get isRunning(): boolean {
    return this.exit === undefined;
  }

  get stdout(): string { return this.stdoutText; }
  get stderr(): string { return this.stderrText; }

  /** Output for a failure message: what the process printed, and how it ended. */
  describe(): string {
    const how = this.exit ? `exited (code ${this.exit.code}, signal ${this.exit.signal})` : 'running';
    return `server ${this.name} (pid ${this.child.pid}) ${how}\n--- stdout ---\n${this.stdoutText}\n--- stderr ---\n${this.stderrText}`;
  }

  client(token: string): ApiClient {
    return createApiClient({ baseUrl: this.url, token });
  }

  /** Sends `signal` (default SIGKILL) and resolves once the process has exited. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<ServerExit> {
    if (this.exit) return this.exit;
    this.child.kill(signal);
    return this.exited;
  }

  /** Sends a signal that need not end the process (SIGSTOP, SIGCONT). */
  signal(signal: NodeJS.Signals): void {
    if (!this.exit) this.child.kill(signal);
  }

  /** Spawns the server; `onSpawn` sees the process before it listens (so a caller can always kill it). */
  static async start(
    name: string,
    env: Record<string, string>,
    options: { timeoutMs?: number; onSpawn?: (server: ServerProcess) => void; argv?: string[] } = {},
  ): Promise<ServerProcess> {
    // Another entry point that prints the same line, e.g. `sb serve --port 0` (SB_CLI_MAIN, 'serve', ...).
    const argv = options.argv ?? [SERVER_MAIN];
    if (!existsSync(argv[0] ?? '')) throw new Error(`${argv[0]} is missing: build first (npx tsc -b)`);
    const child = spawn(process.execPath, argv, { env: { ...baseEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const server = new ServerProcess(child, name);
    options.onSpawn?.(server);
    const spawnFailed = new Promise<never>((_, reject) => child.once('error', reject));
    try {
      server.url = await Promise.race([server.listening(options.timeoutMs ?? START_TIMEOUT_MS), spawnFailed]);
      return server;
    } catch (error) {
      await server.kill();
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${server.describe()}`);
    }
  }

  private listening(timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`server ${this.name} did not listen within ${timeoutMs} ms`)), timeoutMs);
      const onData = () => {
        const url = LISTENING.exec(this.stdoutText)?.[1];
        if (url) done(undefined, url);
      };
      const onExit = () => done(new Error(`server ${this.name} exited before listening`));
      const done = (error: Error | undefined, url?: string) => {
        clearTimeout(timer);
        this.child.stdout?.off('data', onData);
        this.child.off('exit', onExit);
        if (url) resolve(url);
        else reject(error);
      };
      this.child.stdout?.on('data', onData);
      this.child.once('exit', onExit);
    });
  }
}

/** Starts server processes for one describe block and kills every one of them in its afterAll. */
export function useServerProcesses(): { start: (name: string, env: Record<string, string>, argv?: string[]) => Promise<ServerProcess> } {
  const spawned: ServerProcess[] = [];
  let closed = false;
  afterAll(async () => {
    closed = true;
    await Promise.all(spawned.map((server) => server.kill('SIGKILL')));
  }, 30_000);
  return {
    start: (name, env, argv) =>
      ServerProcess.start(name, env, {
        ...(argv ? { argv } : {}),
        onSpawn: (server) => {
          spawned.push(server);
          // A start that outlived its describe block (a timed-out test) must not leave a server behind.
          if (closed) void server.kill('SIGKILL');
        },
      }),
  };
}

/** The test runner's environment without anything that configures a server or a database client. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    const isConfig = key.startsWith('SB_') || key.startsWith('PG') || key === 'DATABASE_URL' || key === 'NODE_OPTIONS';
    if (value !== undefined && !isConfig) env[key] = value;
  }
  return env;
}

function keepTail(text: string): string {
  return text.length > OUTPUT_LIMIT ? text.slice(-OUTPUT_LIMIT) : text;
}

/** One message a test sender posted, with the server's answer. */
export interface SentMessage {
  sender: string;
  messageId: string;
  text: string;
  answer: InboundResult;
}

/**
 * Posts `perSender` messages (`m0`, `m1`, ...) from each sender without waiting for turns: all
 * senders at once, each sender's messages one after another (the next only after the previous got
 * its answer). `post` sends one message (to the server of its choice, retrying as it likes).
 * Returns each sender's messages in the order they were sent.
 */
export async function postInOrderPerSender(
  senders: string[],
  perSender: number,
  post: (message: InboundMessage, n: number, senderIndex: number) => Promise<InboundResult>,
): Promise<SentMessage[][]> {
  return Promise.all(
    senders.map(async (sender, senderIndex) => {
      const sent: SentMessage[] = [];
      for (let n = 0; n < perSender; n++) {
        const message = { channel: 'telegram' as const, sender: { id: sender }, messageId: `${sender}-${n}`, text: `m${n}` };
        sent.push({ sender, messageId: message.messageId, text: message.text, answer: await post(message, n, senderIndex) });
      }
      return sent;
    }),
  );
}

/** Polls the outbox until it holds `count` pending replies; fails with `context()` after `timeoutMs`. */
export async function waitForOutbox(client: ApiClient, count: number, timeoutMs: number, context: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  while (Date.now() < deadline) {
    seen = (await client.outbox.list({ limit: 1000 })).length;
    if (seen >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the outbox held ${seen} of ${count} replies after ${timeoutMs} ms\n${context()}`);
}

/** A transcript row reduced to what the ordering and exactly-once checks compare. */
export interface TranscriptLine {
  direction: 'inbound' | 'outbound';
  text: string;
  platformMessageId: string | null;
}

/** A contact's sessions and all their messages, oldest first, as the owner reads them over HTTP. */
export async function readTranscript(client: ApiClient, contactId: ContactId): Promise<{ sessions: number; lines: TranscriptLine[] }> {
  const sessions = await client.sessions.list({ contact: contactId });
  const lines: TranscriptLine[] = [];
  for (const session of sessions) {
    const messages = await client.sessions.messages(session.id);
    lines.push(...messages.map(({ direction, text, platformMessageId }) => ({ direction, text, platformMessageId })));
  }
  return { sessions: sessions.length, lines };
}

/** The transcript a sender's messages must leave: each message once, its echo reply right after it. */
export function expectedTranscript(sent: SentMessage[]): TranscriptLine[] {
  return sent.flatMap(({ messageId, text }) => [
    { direction: 'inbound' as const, text, platformMessageId: messageId },
    { direction: 'outbound' as const, text: `echo: ${text}`, platformMessageId: null },
  ]);
}
