/**
 * The database port. Every scoped read and write happens inside `transaction(scope, fn)`, which
 * switches to the unprivileged role `sb_app` and sets `app.tenant_id`, `app.contact_id` and
 * `app.is_owner` for that transaction only, so row-level security filters every statement.
 * `adminTransaction` runs as the schema owner: migrations and start-up only (`closeAdmin` ends it).
 * On PostgreSQL, requests log in as a role that cannot become the owner (pg-login-role).
 */
import type { Scope } from './scope';

export type Engine = 'pglite' | 'postgres';

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

/** One SQL connection or transaction handle. */
export interface SqlRunner {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** Runs one or more statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** A transaction that carries the scope it was opened with; repositories read it from here. */
export interface ScopedTx extends SqlRunner {
  readonly scope: Scope;
}

export interface Db {
  readonly engine: Engine;
  transaction<T>(scope: Scope, fn: (tx: ScopedTx) => Promise<T>): Promise<T>;
  /**
   * One statement, in a transaction of its own, in the scope: one round trip. `sql` calls a pipeline
   * function (supabase/migrations) whose first three arguments are the scope, `$1` tenant, `$2`
   * contact (null for the owner), `$3` is owner, and which enters it with `app.enter_scope` before
   * it touches a row; `params` are `$4` on. Row-level security applies to everything it does.
   */
  call<R = Record<string, unknown>>(scope: Scope, sql: string, params: readonly unknown[]): Promise<QueryResult<R>>;
  /** As `sb_app` with no scope at all: every scoped table reads as empty (fail closed). */
  unscopedTransaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
  /**
   * One statement as the worker, in a transaction of its own: `sql` calls a pipeline function that
   * enters worker mode (`app.enter_worker`: `sb_app` with only `app.worker` set) before it touches a
   * row; `params` are `$1` on.
   */
  workerCall<R = Record<string, unknown>>(sql: string, params: readonly unknown[]): Promise<QueryResult<R>>;
  /**
   * One statement, in a transaction of its own, calling a batch function (a group commit) that
   * enters each call's own scope before running it; `params` are `$1` on.
   */
  batchCall<R = Record<string, unknown>>(sql: string, params: readonly unknown[]): Promise<QueryResult<R>>;
  /** As `sb_app` with only `app.worker` set: the turn queue of every tenant (ids, no content). */
  workerTransaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
  /** As the schema owner, outside row-level security. For the migrator, start-up and test set-up only. */
  adminTransaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
  /**
   * Calls `onNotify` whenever a transaction that ran `pg_notify(channel, …)` commits, in any process
   * (PostgreSQL: LISTEN on a connection of its own); with `othersOnly`, not for those this Db's own
   * connections committed (for a caller that signals itself). PGlite serves one process, whose own
   * signals wake it, so there it does nothing. Resolves to what stops listening.
   */
  listen(channel: string, onNotify: () => void, options?: { othersOnly?: boolean }): Promise<() => Promise<void>>;
  /**
   * Vacuums the tables (plain names): PGlite runs without autovacuum (single-user mode), so dead row
   * versions of tables that are updated and deleted all the time pile up and slow every scan. On
   * PostgreSQL autovacuum does this, and it does nothing.
   */
  vacuum(tables: readonly string[]): Promise<void>;
  /** After start-up: ends the owner's own connections, and `adminTransaction` is refused from then on. */
  closeAdmin(): Promise<void>;
  close(): Promise<void>;
}

export const APP_ROLE = 'sb_app';

/** The statement that opens a scoped transaction: role first, then the three settings. */
export const SET_SCOPE_SQL =
  `select set_config('role', '${APP_ROLE}', true), set_config('app.tenant_id', $1, true), ` +
  `set_config('app.contact_id', $2, true), set_config('app.is_owner', $3, true)`;

export const SET_APP_ROLE_SQL = `select set_config('role', '${APP_ROLE}', true)`;

export const SET_WORKER_SQL = `select set_config('role', '${APP_ROLE}', true), set_config('app.worker', 'true', true)`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `begin` and the scope in one simple-protocol round trip. The values are inlined, so each is
 * checked to be a uuid first; anything else never reaches the SQL text.
 */
export function beginScopedSql(scope: Scope): string {
  const [tenantId, contactId, isOwner] = scopeParams(scope);
  if (!UUID.test(tenantId ?? '') || (contactId !== '' && !UUID.test(contactId ?? ''))) {
    throw new Error('scope ids must be uuids');
  }
  return (
    `begin; select set_config('role', '${APP_ROLE}', true), set_config('app.tenant_id', '${tenantId}', true), ` +
    `set_config('app.contact_id', '${contactId}', true), set_config('app.is_owner', '${isOwner}', true)`
  );
}

/** `$1, $2, $3` of a `call`: tenant, contact (null for the owner), is owner. */
export function callScopeParams(scope: Scope): unknown[] {
  return [scope.tenantId, scope.principal.kind === 'contact' ? scope.principal.contactId : null, scope.principal.kind === 'owner'];
}

export function scopeParams(scope: Scope): string[] {
  const contactId = scope.principal.kind === 'contact' ? scope.principal.contactId : '';
  return [scope.tenantId, contactId, String(scope.principal.kind === 'owner')];
}

export function withScope(runner: SqlRunner, scope: Scope): ScopedTx {
  return {
    scope,
    query: (sql, params) => runner.query(sql, params),
    exec: (sql) => runner.exec(sql),
  };
}
