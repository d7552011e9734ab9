/**
 * What the turns asked of PostgreSQL, from pg_stat_statements (the bench cluster preloads it, as
 * Supabase does): reset before a window, read after it, divided by the window's turns. A scoped
 * transaction opens with `begin; select set_config(...)` in one round trip, so round trips are
 * statements minus `begin`s; each `commit` ends one transaction. The reader's own queries and the
 * extension's are left out.
 */
import { Client } from 'pg';

export interface SqlStats {
  statementsPerTurn: number;
  roundTripsPerTurn: number;
  transactionsPerTurn: number;
  /** Time PostgreSQL spent planning and executing the window's statements, per turn. */
  planMsPerTurn: number;
  execMsPerTurn: number;
  /** By statement (normalized, shortened), most time (plan + execute) first. */
  byStatement: StatementCost[];
  /** The statements run inside the SQL functions the top-level ones call, most time first (15). */
  insideFunctions: StatementCost[];
  /**
   * Row updates per table in the window and the share of them that were HOT (no index touched, the
   * new version on the same page): tables with at least one update.
   */
  updates: Record<string, { perTurn: number; hotPct: number }>;
}

export interface StatementCost { statement: string; perTurn: number; planMsPerTurn: number; execMsPerTurn: number; meanMs: number }

export interface SqlStatsReader {
  reset(): Promise<void>;
  /** ANALYZE, as autovacuum soon would: plans made while the tables looked empty are replanned. */
  analyze(): Promise<void>;
  read(turns: number): Promise<SqlStats>;
  close(): Promise<void>;
}

interface StatementRow { query: string; calls: string; total_plan_time: number; total_exec_time: number; toplevel: boolean }

const OWN_QUERIES = /pg_stat_statements|^create extension/i;

interface UpdateCounts { [table: string]: { updates: number; hot: number } }

export async function openSqlStats(url: string): Promise<SqlStatsReader> {
  const admin = new Client({ connectionString: url });
  await admin.connect();
  await admin.query('create extension if not exists pg_stat_statements');
  const updateCounts = async (): Promise<UpdateCounts> => {
    // Counters reach the shared statistics within a second of a transaction's end.
    await admin.query('select pg_stat_force_next_flush()').catch(() => undefined);
    const { rows } = await admin.query<{ relname: string; updates: string; hot: string }>(
      'select relname, n_tup_upd::text as updates, n_tup_hot_upd::text as hot from pg_stat_user_tables',
    );
    return Object.fromEntries(rows.map((row) => [row.relname, { updates: Number(row.updates), hot: Number(row.hot) }]));
  };
  let before: UpdateCounts = {};
  return {
    async reset() {
      await admin.query('select pg_stat_statements_reset()');
      before = await updateCounts();
    },
    async analyze() {
      await admin.query('analyze');
    },
    async read(turns) {
      const { rows } = await admin.query<StatementRow>(
        'select query, calls::text as calls, total_plan_time, total_exec_time, toplevel from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())',
      );
      const after = await updateCounts();
      const updates: SqlStats['updates'] = {};
      for (const [table, now] of Object.entries(after)) {
        const done = now.updates - (before[table]?.updates ?? 0);
        const hot = now.hot - (before[table]?.hot ?? 0);
        if (done > 0) updates[table] = { perTurn: Math.round((done / Math.max(1, turns)) * 1000) / 1000, hotPct: Math.round((hot / done) * 100) };
      }
      return { ...summarize(rows.filter((row) => !OWN_QUERIES.test(row.query.trim())), turns), updates };
    },
    close: () => admin.end(),
  };
}

function summarize(all: StatementRow[], turns: number): Omit<SqlStats, 'updates'> {
  const per = (value: number) => Math.round((value / Math.max(1, turns)) * 1000) / 1000;
  const rows = all.filter((r) => r.toplevel);
  const calls = (pattern: RegExp) => rows.filter((r) => pattern.test(r.query.trim())).reduce((sum, r) => sum + Number(r.calls), 0);
  const statements = rows.reduce((sum, r) => sum + Number(r.calls), 0);
  const costs = (list: StatementRow[]) => list
    .map((r) => ({
      statement: r.query.replace(/\s+/g, ' ').trim().slice(0, 120),
      perTurn: per(Number(r.calls)),
      planMsPerTurn: per(r.total_plan_time),
      execMsPerTurn: per(r.total_exec_time),
      meanMs: Math.round(((r.total_plan_time + r.total_exec_time) / Math.max(1, Number(r.calls))) * 1000) / 1000,
    }))
    .sort((a, b) => b.planMsPerTurn + b.execMsPerTurn - a.planMsPerTurn - a.execMsPerTurn);
  const byStatement = costs(rows);
  return {
    statementsPerTurn: per(statements),
    roundTripsPerTurn: per(statements - calls(/^begin$/i)),
    transactionsPerTurn: per(calls(/^commit$/i)),
    planMsPerTurn: per(rows.reduce((sum, r) => sum + r.total_plan_time, 0)),
    execMsPerTurn: per(rows.reduce((sum, r) => sum + r.total_exec_time, 0)),
    byStatement,
    insideFunctions: costs(all.filter((r) => !r.toplevel)).slice(0, 15),
  };
}
