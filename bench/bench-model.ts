/**
 * What a bench run records, shared by the runner and the report: options, per-engine results, the
 * issue's targets and how a run is judged against them.
 */
import type { RateLimit } from '@switchboard/shared';
import type { CpuUsage } from './bench-cpu';
import type { LoadResult } from './bench-load';
import type { ScalingOptions, ScalingResult } from './bench-scaling';
import type { BenchEngine } from './bench-server';
import type { SqlStats } from './bench-sql-stats';

export const BENCH_RATE_LIMIT: RateLimit = { burst: 100_000, perMinute: 1_000_000 };
export const PRIME_CONCURRENCY = 16;
/** The targets for this 2-core machine; a run with errors never meets one. */
interface Target {
  engine: BenchEngine;
  metric: string;
  target: string;
  /** The run the value comes from (its errors spoil it), or none for the scaling rows. */
  role?: Role;
  value: (engine: EngineResult, run: RunResult | undefined) => number | undefined;
  met: (v: number) => boolean;
}

/** The targets for this 2-core machine; a run with errors never meets one. */
export const TARGETS: Target[] = [
  { engine: 'postgres', role: 'throughput', metric: 'turns/s at 64', target: '>= 2000', value: (_, r) => r?.turnsPerSec, met: (v) => v >= 2000 },
  { engine: 'postgres', role: 'latency', metric: 'p99 ms at 8', target: '<= 10', value: (_, r) => r?.latencyMs.p99, met: (v) => v <= 10 },
  { engine: 'postgres', role: 'throughput', metric: 'statements per turn', target: '<= 4', value: (_, r) => r?.sql?.statementsPerTurn, met: (v) => v <= 4 },
  { engine: 'pglite', role: 'throughput', metric: 'turns/s at 64', target: '>= 500', value: (_, r) => r?.turnsPerSec, met: (v) => v >= 500 },
  { engine: 'pglite', role: 'latency', metric: 'p99 ms at 8', target: '<= 25', value: (_, r) => r?.latencyMs.p99, met: (v) => v <= 25 },
  { engine: 'pglite', role: 'soak', metric: 'RSS MB, max of the soak', target: '<= 400', value: (_, r) => r?.rss.maxMb, met: (v) => v <= 400 },
  ...(['postgres', 'pglite'] as const).flatMap((engine): Target[] => [
    { engine, metric: 'claim slowdown % (deep queue)', target: '<= 20', value: (e) => e.scaling?.claim.slowdownPct, met: (v) => v <= 20 },
    { engine, metric: 'recall p95 ms (1M memories)', target: '<= 2', value: (e) => e.scaling?.recall.ms.p95, met: (v) => v <= 2 },
  ]),
];

export interface Options {
  engines: BenchEngine[];
  durationS: number;
  warmupS: number;
  senders: number;
  latencyConcurrency: number;
  throughputConcurrency: number;
  client: 'wrk' | 'node' | undefined;
  sequentialTurns: number;
  /** PostgreSQL: ANALYZE after the first messages, so the runs see steady-state plans. */
  analyze: boolean;
  cpuProfDir: string | undefined;
  resultsDir: string;
  /** PGlite: seconds of load at the throughput concurrency, watching the server's RSS (0: none). */
  soakS: number;
  /** The scaling rows (claim cost with a deep queue, recall with many memories), and their sizes. */
  scaling: boolean;
  scalingSizes: ScalingOptions;
}

export type Role = 'latency' | 'throughput' | 'one-at-a-time' | 'soak';
export interface RunResult extends LoadResult {
  role: Role;
  cpu: CpuUsage | null;
  /** The server process's resident set size, sampled every 5 s. */
  rss: { firstMb: number; lastMb: number; maxMb: number };
  sql?: SqlStats;
}
export interface EngineResult {
  engine: BenchEngine;
  version: string;
  settings?: Record<string, string>;
  prime?: { senders: number; seconds: number; turnsPerSec: number; non200: number };
  runs: RunResult[];
  serverLog: string[];
  scaling?: ScalingResult;
  error?: string;
}

export interface TargetCheck { engine: BenchEngine; metric: string; target: string; measured: number | null; met: boolean; errors: number }

export function evaluateTargets(engines: EngineResult[]): TargetCheck[] {
  return TARGETS.filter((t) => engines.some((e) => e.engine === t.engine)).map((t) => {
    const engine = engines.find((e) => e.engine === t.engine) as EngineResult;
    const run = t.role === undefined ? undefined : engine.runs.find((r) => r.role === t.role);
    const measured = t.value(engine, run) ?? null;
    const errors = run ? errorCount(run) : 0;
    return { engine: t.engine, metric: t.metric, target: t.target, measured, errors, met: measured !== null && errors === 0 && t.met(measured) };
  });
}

export function errorCount(result: LoadResult): number {
  const e = result.errors;
  return e.connect + e.read + e.write + e.timeout + e.non200;
}

