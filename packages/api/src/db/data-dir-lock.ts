/**
 * An exclusive lock on a data directory that the kernel releases when its holder dies: the holder
 * listens on a Unix socket `<dir>.lock-<n>.sock` (and writes its pid to `<dir>.lock` for people).
 * A socket that accepts a connection is a live holder (a zombie or a reused pid accepts none). A
 * socket path is bound by one process only, and a takeover binds the next generation `n + 1`, so
 * two processes taking over one dead lock cannot both win; a winner that then sees another live
 * generation gives way. PGlite is one connection per directory: a second process is refused.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { basename, dirname } from 'node:path';
import { AppError } from '@switchboard/shared';

export interface DataDirLock {
  readonly path: string;
  release(): void;
}

/** Unix socket paths are cut off silently past ~104–108 bytes (by platform); stay below. */
const MAX_SOCKET_PATH = 100;
/** A socket that refused a connection is asked once more after this long (bind and listen are two steps). */
const RECHECK_MS = 25;
/** How often a connection reset by a holder's socket is tried again before the holder counts as alive. */
const RESET_RETRIES = 40;

/** Lock files this process holds: a second lock of ours on one directory is refused at once. */
const heldHere = new Set<string>();

export async function acquireDataDirLock(dataDir: string): Promise<DataDirLock> {
  const path = `${dataDir}.lock`;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (heldHere.has(path)) throw inUse(dataDir, path, process.pid);
  for (let attempt = 0; attempt < 3; attempt++) {
    const generations = listGenerations(path);
    const holder = await findLiveHolder(path, generations);
    if (holder !== undefined) throw inUse(dataDir, path, holder);
    const generation = (generations[0] ?? -1) + 1;
    const server = await tryListen(socketPath(path, generation));
    if (!server) continue; // another process bound this generation first
    const rival = await findLiveHolder(path, listGenerations(path).filter((n) => n !== generation));
    if (rival !== undefined) {
      await closeServer(server);
      throw inUse(dataDir, path, rival);
    }
    for (const stale of generations) rmSync(socketPath(path, stale), { force: true });
    writePidFile(path);
    return createHandle(path, server);
  }
  throw new AppError('conflict', `Could not lock data directory ${dataDir} (lock file ${path}): other processes kept taking it`);
}

function inUse(dataDir: string, path: string, pid: number | 'unknown'): AppError {
  return new AppError('conflict', `Data directory ${dataDir} is in use by process ${pid} (lock file ${path}); stop it or use another SB_HOME`);
}

function socketPath(path: string, generation: number): string {
  const socket = `${path}-${generation}.sock`;
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    throw new AppError('invalid_input', `The lock socket path ${socket} is longer than ${MAX_SOCKET_PATH} bytes: use a shorter SB_HOME`);
  }
  return socket;
}

/** Generations whose socket files exist, newest first. */
function listGenerations(path: string): number[] {
  const prefix = `${basename(path)}-`;
  const generations = readdirSync(dirname(path))
    .filter((name) => name.startsWith(prefix) && name.endsWith('.sock'))
    .map((name) => Number(name.slice(prefix.length, -'.sock'.length)))
    .filter((n) => Number.isSafeInteger(n) && n >= 0);
  return generations.sort((a, b) => b - a);
}

/** The pid of a holder that answers on one of the generations' sockets; undefined when none does. */
async function findLiveHolder(path: string, generations: number[]): Promise<number | 'unknown' | undefined> {
  for (const generation of generations) {
    const answer = await askUntilSettled(socketPath(path, generation));
    if (answer !== undefined) return answer;
  }
  return undefined;
}

/**
 * A refused connection is asked once more (bind and listen are two steps). A reset one is asked
 * again for a while: a killed multi-threaded holder shows as a zombie while its last threads still
 * hold the socket, which then resets the queued connection; only a holder that keeps resetting
 * counts as alive.
 */
async function askUntilSettled(socket: string): Promise<number | 'unknown' | undefined> {
  let answer = await askHolder(socket);
  for (let attempt = 0; answer === 'reset' && attempt < RESET_RETRIES; attempt++) answer = await delay(RECHECK_MS).then(() => askHolder(socket));
  if (answer === undefined) answer = await delay(RECHECK_MS).then(() => askHolder(socket));
  return answer === 'reset' ? 'unknown' : answer;
}

/** Connects to a holder's socket: its pid when it answers, undefined when nobody listens there. */
function askHolder(socket: string): Promise<number | 'unknown' | 'reset' | undefined> {
  return new Promise((resolve, reject) => {
    let text = '';
    const connection = createConnection(socket);
    connection.setEncoding('utf8');
    connection.on('data', (chunk: string) => (text += chunk));
    connection.on('end', () => {
      const pid = Number.parseInt(text.trim(), 10);
      resolve(Number.isSafeInteger(pid) && pid > 0 ? pid : 'unknown');
    });
    connection.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') resolve(undefined);
      else if (error.code === 'ECONNRESET' || error.code === 'EPIPE') resolve('reset');
      else reject(error);
    });
  });
}

/** Binds and listens on the socket; undefined when the path exists already (someone else's generation). */
function tryListen(socket: string): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer((connection) => connection.end(`${process.pid}\n`));
    server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(undefined) : reject(error)));
    server.listen(socket, () => {
      server.unref(); // the lock must not keep the process alive
      resolve(server);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** `<dir>.lock` holds the pid, written aside and renamed into place. */
function writePidFile(path: string): void {
  const draft = `${path}.${process.pid}.tmp`;
  const fd = openSync(draft, 'w', 0o600);
  try {
    writeSync(fd, String(process.pid));
  } finally {
    closeSync(fd);
  }
  renameSync(draft, path);
}

function createHandle(path: string, server: Server): DataDirLock {
  let held = true;
  heldHere.add(path);
  const release = () => {
    if (!held) return;
    held = false;
    heldHere.delete(path);
    process.off('exit', release);
    // The pid file only if it is still ours; closing the server removes its socket file.
    if (readPid(path) === process.pid) rmSync(path, { force: true });
    server.close();
  };
  process.on('exit', release);
  return { path, release };
}

function readPid(path: string): number | undefined {
  try {
    return Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
