import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isAppError } from '@switchboard/shared';
import { acquireDataDirLock } from './data-dir-lock';
import { createPgliteDb } from './pglite-db';

/** The built package: child processes load it the way the server does (the test command runs `tsc -b` first). */
const BUILT_API = resolve(__dirname, '../../dist/index.js');

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

/** A pid that belonged to a process which has exited (and been reaped). */
function deadPid(): number {
  const result = spawnSync(process.execPath, ['-e', '']);
  if (result.pid === undefined || result.status !== 0) throw new Error('could not run a short-lived node process');
  return result.pid;
}

describe('data directory lock', () => {
  let base: string;

  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'sb-lock-test-'));
  });

  afterEach(() => {
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
      expect(refused.stderr).toContain(`process ${process.pid}`);
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

  it('takes over a lock file left by a process that has exited', () => {
    const dataDir = join(base, 'data');
    const lockPath = `${dataDir}.lock`;
    const stale = deadPid();
    expect(stale).not.toBe(process.pid);
    writeFileSync(lockPath, String(stale));

    const lock = acquireDataDirLock(dataDir);
    try {
      expect(lock.path).toBe(lockPath);
      expect(readFileSync(lockPath, 'utf8')).toBe(String(process.pid));
    } finally {
      lock.release();
    }
    expect(existsSync(lockPath)).toBe(false);
  });

  it('takes over a lock file whose content is not a pid', () => {
    const dataDir = join(base, 'data');
    const lockPath = `${dataDir}.lock`;
    writeFileSync(lockPath, 'garbage');

    const lock = acquireDataDirLock(dataDir);
    try {
      expect(readFileSync(lockPath, 'utf8')).toBe(String(process.pid));
    } finally {
      lock.release();
    }
  });

  it('refuses with a conflict when the lock file names another live process', () => {
    const dataDir = join(base, 'data');
    // The parent of the test process is alive for the whole test and is not this process.
    writeFileSync(`${dataDir}.lock`, String(process.ppid));

    let caught: unknown;
    try {
      acquireDataDirLock(dataDir).release();
    } catch (error) {
      caught = error;
    }
    expect(isAppError(caught, 'conflict')).toBe(true);
    expect((caught as Error).message).toContain(`process ${process.ppid}`);
    expect(readFileSync(`${dataDir}.lock`, 'utf8')).toBe(String(process.ppid));
  });

  it('refuses a second lock on a directory this process already holds, and takes over our own stale pid', () => {
    const dataDir = join(base, 'data');
    const lockPath = `${dataDir}.lock`;
    const first = acquireDataDirLock(dataDir);
    expect(() => acquireDataDirLock(dataDir)).toThrow(`process ${process.pid}`);
    first.release();
    first.release();
    expect(existsSync(lockPath)).toBe(false);

    // A file naming our pid that no handle of ours holds (a previous process with the same pid).
    writeFileSync(lockPath, String(process.pid));
    const taken = acquireDataDirLock(dataDir);
    expect(readFileSync(lockPath, 'utf8')).toBe(String(process.pid));
    taken.release();
    expect(existsSync(lockPath)).toBe(false);
  });
});
