/**
 * The PostgreSQL adapter (any PostgreSQL >= 15, Supabase included) over node-postgres pools.
 * Each transaction checks out one client, sets its scope and releases the client on every path.
 * With `appConnectionString`, requests log in as that unprivileged role and only `adminTransaction`
 * uses the schema owner's connection (one at most, ended by `closeAdmin` after start-up).
 */
import { createHash } from 'node:crypto';
import { Pool, type PoolClient } from 'pg';
import { createSilentLog, type Log } from '../ops/ops-log';
import { createPgListener, type PgListener } from './pg-listen';
import { type Db, type SqlRunner, SET_APP_ROLE_SQL, SET_WORKER_SQL, beginScopedSql, callScopeParams, withScope } from './db';

export interface PgDbOptions {
  /** The schema owner's connection string; requests use it too unless `appConnectionString` is set. */
  connectionString: string;
  /** Where requests log in: a role that is not superuser nor BYPASSRLS and cannot become the owner. */
  appConnectionString?: string | undefined;
  maxConnections?: number;
  log?: Log | undefined;
}

export function createPgDb(options: PgDbOptions): Db {
  const max = options.maxConnections ?? 10;
  const log = options.log ?? createSilentLog();
  const app = options.appConnectionString;
  const separate = app !== undefined;
  const ownerPool = createPool(options.connectionString, separate ? { max: 1, idleTimeoutMillis: 1000 } : { max }, log);
  const pool = app === undefined ? ownerPool : createPool(app, { max }, log);
  let adminClosed = false;
  let listener: PgListener | undefined;
  const ownBackends = trackBackends([...new Set([ownerPool, pool])]);

  /** `begin` is the first statement of `opening`, so a scoped transaction costs one round trip to open. */
  async function inTransaction<T>(opening: string, fn: (runner: SqlRunner) => Promise<T>, from = pool): Promise<T> {
    const client = await from.connect();
    let broken = false;
    try {
      await client.query(opening);
      const result = await fn(toRunner(client));
      await client.query('commit');
      return result;
    } catch (error) {
      // A client whose rollback fails is in an unknown state: the pool must discard it.
      await client.query('rollback').catch(() => (broken = true));
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async function runStatement<R>(sql: string, params: readonly unknown[]) {
    const client = await pool.connect();
    try {
      return await toRunner(client).query<R>(sql, params);
    } finally {
      client.release();
    }
  }

  return {
    engine: 'postgres',
    transaction: (scope, fn) => inTransaction(beginScopedSql(scope), (runner) => fn(withScope(runner, scope))),
    // No `begin`: one statement is its own transaction, and the function it calls enters the scope
    // (or worker mode).
    call: (scope, sql, params) => runStatement(sql, [...callScopeParams(scope), ...params]),
    workerCall: (sql, params) => runStatement(sql, params),
    batchCall: (sql, params) => runStatement(sql, params),
    unscopedTransaction: (fn) => inTransaction(`begin; ${SET_APP_ROLE_SQL}`, fn),
    workerTransaction: (fn) => inTransaction(`begin; ${SET_WORKER_SQL}`, fn),
    adminTransaction: (fn) => {
      if (adminClosed) return Promise.reject(new Error('The schema owner connection was closed after start-up'));
      return inTransaction('begin', fn, ownerPool);
    },
    async closeAdmin() {
      if (adminClosed) return;
      adminClosed = true;
      if (separate) await ownerPool.end();
    },
    vacuum: async () => undefined,
    listen(channel, onNotify, listenOptions) {
      listener ??= createPgListener(app ?? options.connectionString, log, (pid) => ownBackends.has(pid));
      return listener.listen(channel, onNotify, listenOptions);
    },
    async close() {
      await listener?.close();
      await Promise.all([pool.end(), ...(separate && !adminClosed ? [ownerPool.end()] : [])]);
    },
  };
}

function createPool(connectionString: string, options: { max: number; idleTimeoutMillis?: number }, log: Log): Pool {
  const pool = new Pool({ connectionString, ...options });
  // An idle client that loses its server emits here; without a listener the process would crash.
  pool.on('error', (error) => log.warn({ err: error }, 'postgres pool: an idle connection failed'));
  return pool;
}

/** The backend process ids of the pools' live connections (a notification names its sender's). */
function trackBackends(pools: Pool[]): Set<number> {
  const pids = new Set<number>();
  const pidOf = (client: PoolClient) => (client as PoolClient & { processID?: number | null }).processID;
  for (const pool of pools) {
    pool.on('connect', (client) => {
      const pid = pidOf(client);
      if (typeof pid === 'number') pids.add(pid);
    });
    pool.on('remove', (client) => {
      const pid = pidOf(client);
      if (typeof pid === 'number') pids.delete(pid);
    });
  }
  return pids;
}

/**
 * Parameterized statements are prepared once per connection under a name derived from their text,
 * so the server parses and plans each distinct statement once instead of on every call.
 */
function statementName(sql: string): string {
  return `sb_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
}

function toRunner(client: PoolClient): SqlRunner {
  return {
    async query<R>(sql: string, params?: readonly unknown[]) {
      const result = params === undefined
        ? await client.query(sql)
        : await client.query({ name: statementName(sql), text: sql, values: params as unknown[] });
      return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  };
}
