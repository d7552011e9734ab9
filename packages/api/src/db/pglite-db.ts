/**
 * The embedded adapter: PGlite (Postgres compiled to WASM) in a data directory, or in memory.
 * PGlite is a single connection: operations queue on a turnstile (one at a time, each started from
 * a macrotask), and inside a transaction only the transaction's handle may be used. A data
 * directory is locked for this process (data-dir-lock).
 */
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { type Db, type SqlRunner, SET_APP_ROLE_SQL, SET_SCOPE_SQL, SET_WORKER_SQL, callScopeParams, scopeParams, withScope } from './db';
import { acquireDataDirLock } from './data-dir-lock';

export type PgliteSource =
  | { kind: 'directory'; path: string }
  | { kind: 'snapshot'; data: Blob }
  | { kind: 'memory' };

/** A PGlite database; `dump` returns its data directory as a blob for fast fresh copies. */
export interface PgliteDb extends Db {
  dump(): Promise<Blob>;
}

export async function createPgliteDb(source: PgliteSource): Promise<PgliteDb> {
  const lock = source.kind === 'directory' ? await acquireDataDirLock(source.path) : undefined;
  try {
    const pg = await openPglite(source);
    return wrapPglite(pg, () => lock?.release());
  } catch (error) {
    lock?.release();
    throw error;
  }
}

async function openPglite(source: PgliteSource): Promise<PGlite> {
  // A dynamic import: the package's `contrib/*` types resolve to its ESM declarations only.
  const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
  const options = { extensions: { pg_trgm }, startParams: START_PARAMS };
  switch (source.kind) {
    case 'directory':
      return PGlite.create({ dataDir: source.path, ...options });
    case 'snapshot':
      return PGlite.create({ loadDataDir: source.data, ...options });
    case 'memory':
      return PGlite.create(options);
  }
}

/**
 * PGlite's own start parameters, and a buffer cache sized for one embedded process: the WASM heap
 * holds all of it for the life of the process (128 MB by default), and the files under it are in
 * the operating system's cache anyway.
 */
const START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=32MB'];

function wrapPglite(pg: PGlite, onClose: () => void): PgliteDb {
  let adminClosed = false;
  const exclusive = createTurnstile();
  const inTransaction = <T>(prepare: (tx: Transaction) => Promise<unknown>, fn: (runner: SqlRunner) => Promise<T>) =>
    exclusive(() =>
      pg.transaction(async (tx) => {
        await prepare(tx);
        return fn(toRunner(tx));
      }));

  const runStatement = <R>(sql: string, params: readonly unknown[]) =>
    exclusive(async () => {
      const result = await pg.query<R>(sql, [...params]);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    });

  return {
    engine: 'pglite',
    transaction: (scope, fn) =>
      inTransaction((tx) => tx.query(SET_SCOPE_SQL, scopeParams(scope)), (runner) => fn(withScope(runner, scope))),
    // One statement is its own transaction; the function it calls enters the scope (or worker mode).
    call: (scope, sql, params) => runStatement(sql, [...callScopeParams(scope), ...params]),
    workerCall: (sql, params) => runStatement(sql, params),
    batchCall: (sql, params) => runStatement(sql, params),
    unscopedTransaction: (fn) => inTransaction((tx) => tx.query(SET_APP_ROLE_SQL), fn),
    workerTransaction: (fn) => inTransaction((tx) => tx.query(SET_WORKER_SQL), fn),
    // One connection, no listener: the owner stays reachable through SET ROLE; only our code speaks.
    adminTransaction: (fn) => {
      if (adminClosed) return Promise.reject(new Error('The schema owner connection was closed after start-up'));
      return inTransaction(async () => undefined, fn);
    },
    // The only process on this database: its own in-process signals are every wake-up there is.
    listen: async () => async () => undefined,
    async vacuum(tables) {
      if (!tables.every((table) => /^[a-z_]{1,63}$/.test(table))) throw new Error('vacuum takes plain table names');
      // VACUUM cannot run in a transaction; the turnstile keeps it from interleaving with one.
      await exclusive(() => pg.exec(`vacuum ${tables.join(', ')}`));
    },
    closeAdmin: async () => {
      adminClosed = true;
    },
    dump: () => exclusive(() => pg.dumpDataDir('none')),
    async close() {
      try {
        await pg.close();
      } finally {
        onClose();
      }
    },
  };
}

/**
 * One database operation at a time, each started from a macrotask (setImmediate), never from the
 * microtasks of whatever callback finished the one before. PGlite runs a statement synchronously
 * on this thread: started from microtasks, the queued operations would run one after another
 * inside a single socket's callback, and a burst of requests would be read one per statement
 * (64 messages sent at once took 1.5 s to all reach the accept). Started from the check phase,
 * each event-loop turn reads every socket that is ready, then runs one operation.
 */
export function createTurnstile() {
  let busy = false;
  const waiting: Array<() => void> = [];
  const enter = () =>
    new Promise<void>((resolve) => {
      const start = () => setImmediate(resolve);
      if (busy) waiting.push(start);
      else {
        busy = true;
        start();
      }
    });
  const leave = () => {
    const next = waiting.shift();
    if (next) next();
    else busy = false;
  };
  return async <T>(work: () => Promise<T>): Promise<T> => {
    await enter();
    try {
      return await work();
    } finally {
      leave();
    }
  };
}

function toRunner(tx: Transaction): SqlRunner {
  return {
    async query<R>(sql: string, params?: readonly unknown[]) {
      const result = await tx.query<R>(sql, params ? [...params] : undefined);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
    async exec(sql: string) {
      await tx.exec(sql);
    },
  };
}
