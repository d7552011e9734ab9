/**
 * An exclusive lock on a data directory: `<dir>.lock` holds the owner's pid. PGlite is one
 * connection per directory; two processes on one directory silently lose writes, so the second
 * one is refused with the holder's pid. A lock left by a dead process is taken over.
 */
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError } from '@switchboard/shared';

export interface DataDirLock {
  readonly path: string;
  release(): void;
}

/** Lock files this process holds: a file naming our own pid is stale only if it is not among them. */
const heldHere = new Set<string>();

export function acquireDataDirLock(dataDir: string): DataDirLock {
  const path = `${dataDir}.lock`;
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    if (tryCreate(path)) return createHandle(path);
    const holder = readHolder(path);
    const isHeld = holder === process.pid ? heldHere.has(path) : holder !== undefined && isAlive(holder);
    if (isHeld) {
      throw new AppError('conflict', `Data directory ${dataDir} is in use by process ${holder} (lock file ${path}); stop it or use another SB_HOME`);
    }
    rmSync(path, { force: true });
  }
  throw new AppError('conflict', `Could not lock data directory ${dataDir} (lock file ${path})`);
}

function tryCreate(path: string): boolean {
  try {
    const fd = openSync(path, 'wx', 0o600);
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function readHolder(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined; // vanished or unreadable: treated as stale
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function createHandle(path: string): DataDirLock {
  let held = true;
  heldHere.add(path);
  const release = () => {
    if (!held) return;
    held = false;
    heldHere.delete(path);
    process.off('exit', release);
    rmSync(path, { force: true });
  };
  process.on('exit', release);
  return { path, release };
}
