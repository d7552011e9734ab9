import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isAppError } from '@switchboard/shared';
import { acquireDataDirLock } from './data-dir-lock';
import { createPgliteDb } from './pglite-db';

/** The built package: child processes load it the way the server does (the test command runs `tsc -b` first). */
const BUILT_API = resolve(__dirname, '../../dist/index.js');

/** A child that takes the lock, prints `locked <pid>` (or `refused <message>`), and holds it until killed. */
const HOLDER = `
  const { acquireDataDirLock } = require(${JSON.stringify(BUILT_API)});
  acquireDataDirLock(process.argv[1]).then(
    () => console.log('locked ' + process.pid),
    (error) => { console.log('refused ' + error.message); process.exit(3); },
  );
  setInterval(() => undefined, 1 << 30);
`;

interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a child `node -e` that opens the directory with createPgliteDb, prints `opened`, and closes it. */
function openInChildProcess(dataDir: string): Promise<ChildResult> {
  const script = `
    const { createPgliteDb } = require(${JSON.stringify(BUILT_API)});
    createPgliteDb({ kind: 'directory', path: ${JSON.stringify(dataDir)} })
      .then(async (db) => { await db.close(); console.log('opened'); })
      .catch((error) => { console.error(error && error.message); process.exitCode = 1; });
  `;
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** Resolves with the first line the child prints (`locked <pid>` or `refused …`). */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((done, fail) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) done(text.split('\n')[0]!);
    });
    child.once('error', fail);
    child.once('close', (code) => fail(new Error(`child exited (${code}) before printing: ${text}`)));
  });
}

function startHolder(dataDir: string): ChildProcess {
  return spawn(process.execPath, ['-e', HOLDER, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
}

/** The process state letter from /proc (`Z` for a zombie), undefined once the pid is gone. */
function processState(pid: number): string | undefined {
  try {
    return /\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A pid that belonged to a process which has exited (and been reaped). */
function deadPid(): number {
  const result = spawnSync(process.execPath, ['-e', '']);
  if (result.pid === undefined || result.status !== 0) throw new Error('could not run a short-lived node process');
  return result.pid;
}

/** A holder killed with SIGKILL: its pid file and its socket file stay behind. */
async function leaveDeadHolder(dataDir: string): Promise<number> {
  const holder = startHolder(dataDir);
  const line = await firstLine(holder);
  expect(line).toBe(`locked ${holder.pid}`);
  const exited = new Promise((resolve) => holder.once('exit', resolve));
  holder.kill('SIGKILL');
  await exited;
  return holder.pid!;
}

describe('data directory lock', () => {
  let base: string;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'sb-lock-'));
  });

  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    rmSync(base, { recursive: true, force: true });
  });

  it('refuses a second process with an error naming the holder pid, and lets it in after close', async () => {
    const dataDir = join(base, 'data');
    const lockPath = `${dataDir}.lock`;
    const db = await createPgliteDb({ kind: 'directory', path: dataDir });
    let closed = false;
    try {
      expect(readFileSync(lockPath, 'utf8')).toBe(String(process.pid));

      const refused = await openInChildProcess(dataDir);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(`is in use by process ${process.pid}`);
      expect(refused.stdout).not.toContain('opened');
      // The refused child must not have removed the holder's lock.
      expect(readFileSync(lockPath, 'utf8')).toBe(String(process.pid));

      await db.close();
      closed = true;
      expect(existsSync(lockPath)).toBe(false);

      const admitted = await openInChildProcess(dataDir);
      expect(admitted).toEqual({ code: 0, stdout: 'opened\n', stderr: '' });
      expect(existsSync(lockPath)).toBe(false);
    } finally {
      if (!closed) await db.close();
    }
  }, 120_000);

  it('keeps a live holder’s restart out, naming its pid, and leaves its lock alone', async () => {
    const dataDir = join(base, 'data');
    const holder = startHolder(dataDir);
    children.push(holder);
    expect(await firstLine(holder)).toBe(`locked ${holder.pid}`);

    const refused = await acquireDataDirLock(dataDir).then(() => undefined, (error: unknown) => error);
    expect(isAppError(refused, 'conflict')).toBe(true);
    expect((refused as Error).message).toContain(`Data directory ${dataDir} is in use by process ${holder.pid}`);
    expect(readFileSync(`${dataDir}.lock`, 'utf8')).toBe(String(holder.pid));
    expect(processState(holder.pid!)).not.toBe('Z');
  }, 30_000);

  it('takes over from a holder that was killed and lingers as a zombie (signal 0 still reaches its pid)', async () => {
    const dataDir = join(base, 'data');
    // The holder's parent is `sleep`, which never reaps a child: killed, the holder stays a zombie.
    const parent = spawn('sh', ['-c', `"$0" -e "$1" "$2" & exec sleep 600`, process.execPath, HOLDER, dataDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(parent);
    const line = await firstLine(parent);
    const holder = Number(/^locked (\d+)$/.exec(line)?.[1]);
    expect(holder).toBeGreaterThan(0);
    process.kill(holder, 'SIGKILL');
    await until(() => processState(holder) === 'Z', `process ${holder} to become a zombie`);
    expect(process.kill(holder, 0)).toBe(true); // the pid alone looks alive
    expect(readFileSync(`${dataDir}.lock`, 'utf8')).toBe(String(holder));

    const lock = await acquireDataDirLock(dataDir);
    try {
      expect(readFileSync(lock.path, 'utf8')).toBe(String(process.pid));
      expect(processState(holder)).toBe('Z'); // still there: only the kernel's lock told us it is dead
    } finally {
      lock.release();
    }
  }, 30_000);

  it('takes over a lock whose pid now belongs to an unrelated live process (a reused pid)', async () => {
    const dataDir = join(base, 'data');
    await leaveDeadHolder(dataDir);
    const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
    children.push(sleeper);
    for (const reused of [sleeper.pid!, process.ppid]) {
      writeFileSync(`${dataDir}.lock`, String(reused));
      expect(process.kill(reused, 0)).toBe(true);
      const lock = await acquireDataDirLock(dataDir);
      expect(readFileSync(lock.path, 'utf8')).toBe(String(process.pid));
      lock.release();
    }
  }, 30_000);

  it('takes over a lock left by a process that has exited, keeping one socket generation', async () => {
    const dataDir = join(base, 'data');
    await leaveDeadHolder(dataDir);
    expect(readdirSync(base).sort()).toEqual(['data.lock', 'data.lock-0.sock']);

    const lock = await acquireDataDirLock(dataDir);
    expect(readdirSync(base).sort()).toEqual(['data.lock', 'data.lock-1.sock']);
    expect(readFileSync(lock.path, 'utf8')).toBe(String(process.pid));
    lock.release();
    expect(readdirSync(base)).toEqual([]);

    writeFileSync(`${dataDir}.lock`, String(deadPid()));
    const again = await acquireDataDirLock(dataDir);
    expect(readFileSync(again.path, 'utf8')).toBe(String(process.pid));
    again.release();
  }, 30_000);

  it('takes over a lock file whose content is not a pid', async () => {
    const dataDir = join(base, 'data');
    writeFileSync(`${dataDir}.lock`, 'garbage');
    const lock = await acquireDataDirLock(dataDir);
    expect(readFileSync(`${dataDir}.lock`, 'utf8')).toBe(String(process.pid));
    lock.release();
  });

  it('refuses a second lock on a directory this process already holds, and releases once', async () => {
    const dataDir = join(base, 'data');
    const first = await acquireDataDirLock(dataDir);
    await expect(acquireDataDirLock(dataDir)).rejects.toThrow(`process ${process.pid}`);
    first.release();
    first.release();
    expect(existsSync(`${dataDir}.lock`)).toBe(false);
    (await acquireDataDirLock(dataDir)).release();
  });

  it.each([['a fresh directory', false], ['a directory whose holder was killed', true]])(
    'lets exactly one of several processes starting at once on %s in',
    async (_what, stale) => {
      const dataDir = join(base, 'data');
      if (stale) await leaveDeadHolder(dataDir);
      const starters = Array.from({ length: 6 }, () => startHolder(dataDir));
      children.push(...starters);
      const lines = await Promise.all(starters.map(firstLine));
      const winners = lines.filter((line) => line.startsWith('locked '));
      expect(winners).toHaveLength(1);
      const winner = winners[0]!.slice('locked '.length);
      for (const line of lines.filter((l) => !l.startsWith('locked '))) {
        expect(line).toMatch(new RegExp(`^refused Data directory .* is in use by process ${winner} `));
      }
      expect(readFileSync(`${dataDir}.lock`, 'utf8')).toBe(winner);
    },
    60_000,
  );
});
