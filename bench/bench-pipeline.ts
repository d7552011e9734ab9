/**
 * `npm run bench`: throughput and added latency of the inbound pipeline (accept → turn → reply)
 * on each engine, driving the real server process with `POST /v1/inbound?wait=true` from 1,000
 * telegram senders and the echo agent. Per engine: raise the agent's rate limit, send each sender
 * a first message, then a latency run (low concurrency) and a throughput run (high concurrency),
 * each after an unmeasured warm-up, then turns one at a time. Each run also records CPU use and,
 * on PostgreSQL, pg_stat_statements. Prints a table and writes bench/results/<date>.json.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createApiClient } from '@switchboard/shared';
import { chooseLoadClient, postInbound, round, runOneAtATime, type LoadClient, type LoadResult, type LoadTarget } from './bench-load';
import { cpuBetween, residentMb, sampleCpu } from './bench-cpu';
import {
  BENCH_RATE_LIMIT, PRIME_CONCURRENCY, errorCount, evaluateTargets, type EngineResult, type Options, type Role, type RunResult,
} from './bench-model';
import { printReport, writeResults } from './bench-report';
import { benchScaling } from './bench-scaling';
import { startBenchServer, type BenchEngine, type BenchServer } from './bench-server';
import { openSqlStats, type SqlStatsReader } from './bench-sql-stats';

/** bench/dist/bench/bench-pipeline.js → the repository root. */
const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const PRIME_TIMEOUT_MS = 60_000;
const IDLE_TIMEOUT_MS = 60_000;
const IDLE_POLL_MS = 100;
const RSS_SAMPLE_MS = 5_000;

/** The clean-up of the engine being measured, for Ctrl-C. */
let cleanup: (() => Promise<void>) | undefined;

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const client = chooseLoadClient(options.client, log);
  const workDir = mkdtempSync(join(tmpdir(), 'sb-bench-work-'));
  onInterrupt(workDir);
  const loadAtStart = loadavg().map((v) => round(v));
  log(`bench: ${client.version}; ${options.senders} senders; warm-up ${options.warmupS} s, runs ${options.durationS} s; load average ${loadAtStart.join(' ')}`);
  log(`bench: the default agent's rate limit is raised to burst ${BENCH_RATE_LIMIT.burst}, ${BENCH_RATE_LIMIT.perMinute}/min (PATCH /v1/agents/default) so it does not throttle the load`);
  const engines: EngineResult[] = [];
  try {
    for (const engine of options.engines) engines.push(await benchEngine(engine, client, options, workDir));
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  const targets = evaluateTargets(engines);
  printReport(engines, targets);
  const path = writeResults(options, client, loadAtStart, engines, targets);
  log(`bench: results written to ${relative(process.cwd(), path)}`);
  return engines.some((e) => e.error) ? 1 : 0;
}

async function benchEngine(engine: BenchEngine, client: LoadClient, options: Options, workDir: string): Promise<EngineResult> {
  log(`\nbench [${engine}]: starting the server`);
  const version = engineVersion(engine);
  let server: BenchServer;
  try {
    server = await startBenchServer(engine, {
      repoRoot: REPO_ROOT, cpuProfDir: options.cpuProfDir && join(options.cpuProfDir, engine), onCleanup: (stop) => (cleanup = stop),
    });
  } catch (error) {
    cleanup = undefined;
    return { engine, version, runs: [], serverLog: [], error: messageOf(error) };
  }
  const result: EngineResult = { engine, version: server.postgres?.version ?? version, runs: [], serverLog: [] };
  if (server.postgres) result.settings = server.postgres.settings;
  let stats: SqlStatsReader | undefined;
  try {
    const postgres = server.postgres;
    if (postgres) stats = await phase('opening pg_stat_statements', () => openSqlStats(postgres.url));
    await phase('preparing the agent', () => prepareAgent(server));
    const target: LoadTarget = { baseUrl: server.url, token: server.ownerToken, senders: options.senders, workDir };
    result.prime = await phase('priming the senders', () => primeSenders(target));
    log(`bench [${engine}]: first message of ${options.senders} senders: ${result.prime.turnsPerSec} turns/s`);
    const reader = stats;
    if (reader && options.analyze) await phase('analyzing', () => reader.analyze());
    for (const [role, concurrency] of [['latency', options.latencyConcurrency], ['throughput', options.throughputConcurrency]] as const) {
      const run = { concurrency, seconds: options.durationS };
      if (options.warmupS > 0) {
        await phase(`the ${role} warm-up`, () => client.run(target, { concurrency, seconds: options.warmupS }));
        // The warm-up's last requests leave turns running: the run starts when they are done.
        await phase('waiting for the warm-up\'s turns', () => waitForIdle(target));
      }
      result.runs.push(await phase(`the ${role} run`, () => measure(server, role, stats, () => client.run(target, run))));
    }
    if (options.sequentialTurns > 0) {
      await waitForIdle(target);
      result.runs.push(await phase('the one-at-a-time run', () => measure(server, 'one-at-a-time', stats, () => runOneAtATime(target, options.sequentialTurns))));
    }
    if (options.soakS > 0 && engine === 'pglite') {
      const run = { concurrency: options.throughputConcurrency, seconds: options.soakS };
      result.runs.push(await phase('the soak run', () => measure(server, 'soak', stats, () => client.run(target, run))));
    }
  } catch (error) {
    result.error = messageOf(error);
  } finally {
    await stats?.close().catch(() => undefined);
    result.serverLog = server.logLines();
    cleanup = undefined;
    await server.stop();
  }
  if (options.scaling && !result.error) {
    result.scaling = await phase('the scaling rows', () => benchScaling(engine, options.scalingSizes, log)).catch((error: unknown) => {
      result.error = messageOf(error);
      return undefined;
    });
  }
  return result;
}

/** Raises the rate limit (and makes sure DMs are open), then checks that one turn answers. */
async function prepareAgent(server: BenchServer): Promise<void> {
  const api = createApiClient({ baseUrl: server.url, token: server.ownerToken, timeoutMs: 30_000 });
  await api.agents.update('default', { rateLimit: BENCH_RATE_LIMIT, newContactRate: BENCH_RATE_LIMIT, dmPolicy: 'open' });
  const answer = await api.inbound({ channel: 'telegram', sender: { id: 'bench-check' }, messageId: 'bench-check-1', text: 'ping' }, { wait: true });
  if (answer.status !== 'done' || answer.reply?.text !== 'echo: ping') {
    throw new Error(`the check turn did not answer "echo: ping": ${JSON.stringify(answer)}`);
  }
}

/** Each sender's first message (creates the contact and its session), not part of the runs. */
async function primeSenders(target: LoadTarget): Promise<NonNullable<EngineResult['prime']>> {
  let next = 0;
  let non200 = 0;
  const started = performance.now();
  const loop = async () => {
    for (let i = next++; i < target.senders; i = next++) {
      if ((await postInbound(target, i, `prime-${i}`, PRIME_TIMEOUT_MS)) !== 200) non200 += 1;
    }
  };
  await Promise.all(Array.from({ length: PRIME_CONCURRENCY }, loop));
  const seconds = (performance.now() - started) / 1000;
  return { senders: target.senders, seconds: round(seconds), turnsPerSec: round((target.senders - non200) / seconds), non200 };
}

/** One measured window: the load, and the CPU and SQL it took. */
async function measure(server: BenchServer, role: Role, stats: SqlStatsReader | undefined, load: () => Promise<LoadResult>): Promise<RunResult> {
  await stats?.reset();
  const before = sampleCpu(server.serverPid, server.postmasterPid);
  const rssMb: number[] = [];
  const sampler = setInterval(() => rssMb.push(residentMb(server.serverPid) ?? 0), RSS_SAMPLE_MS);
  const result = await load().finally(() => clearInterval(sampler));
  rssMb.push(residentMb(server.serverPid) ?? 0);
  const cpu = cpuBetween(before, sampleCpu(server.serverPid, server.postmasterPid), result.turns);
  const sql = await stats?.read(result.turns);
  log(`bench [${server.engine}]: ${role} c${result.concurrency}: ${result.turnsPerSec} turns/s, p50 ${result.latencyMs.p50} ms, ` +
    `p99 ${result.latencyMs.p99} ms, errors ${errorCount(result)}; CPU per turn: server ${cpu?.serverMsPerTurn ?? '?'} ms` +
    (sql ? `, PostgreSQL ${cpu?.postgresMsPerTurn ?? '?'} ms (plan ${sql.planMsPerTurn} ms, execute ${sql.execMsPerTurn} ms); ` +
      `${sql.statementsPerTurn} statements in ${sql.roundTripsPerTurn} round trips and ${sql.transactionsPerTurn} transactions; ` +
      `HOT updates ${Object.entries(sql.updates).map(([table, u]) => `${table} ${u.hotPct}% of ${u.perTurn}/turn`).join(', ')}` : ''));
  const rss = rssOf(rssMb);
  log(`bench [${server.engine}]: ${role}: server RSS first ${rss.firstMb} MB, last ${rss.lastMb} MB, max ${rss.maxMb} MB`);
  return { role, ...result, cpu, rss, ...(sql ? { sql } : {}) };
}

/** Waits until the server has no turn queued or running (its `sb_turn_queue_depth` gauge reads 0). */
async function waitForIdle(target: LoadTarget): Promise<void> {
  const deadline = Date.now() + IDLE_TIMEOUT_MS;
  for (;;) {
    const response = await fetch(`${target.baseUrl}/metrics`, { headers: { authorization: `Bearer ${target.token}` } });
    const depth = /^sb_turn_queue_depth (\d+)/m.exec(await response.text())?.[1];
    if (depth === '0') return;
    if (Date.now() > deadline) throw new Error(`the server still had ${depth ?? 'an unknown number of'} turns queued after ${IDLE_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, IDLE_POLL_MS));
  }
}

/** RSS over a run: first and last sample, and the largest; the soak run's "not growing" is last vs first. */
function rssOf(samples: number[]): RunResult['rss'] {
  return { firstMb: samples[0] ?? 0, lastMb: samples[samples.length - 1] ?? 0, maxMb: Math.max(0, ...samples) };
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      engines: { type: 'string', default: 'pglite,postgres' },
      duration: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '3' },
      senders: { type: 'string', default: '1000' },
      'latency-concurrency': { type: 'string', default: '8' },
      'throughput-concurrency': { type: 'string', default: '64' },
      client: { type: 'string' },
      'sequential-turns': { type: 'string', default: '200' },
      'no-analyze': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      'results-dir': { type: 'string', default: join(REPO_ROOT, 'bench', 'results') },
      soak: { type: 'string', default: '600' },
      'no-scaling': { type: 'boolean', default: false },
      'queued-turns': { type: 'string', default: '100000' },
      lanes: { type: 'string', default: '10000' },
      memories: { type: 'string', default: '1000000' },
      'memory-contacts': { type: 'string', default: '1000' },
      'scaling-samples': { type: 'string', default: '200' },
    },
  });
  const engines = values.engines.split(',').map((e) => e.trim());
  if (!engines.every((e): e is BenchEngine => e === 'pglite' || e === 'postgres')) throw new Error(`--engines: pglite and/or postgres, not ${values.engines}`);
  if (values.client !== undefined && values.client !== 'wrk' && values.client !== 'node') throw new Error('--client: wrk or node');
  return {
    engines,
    durationS: positive('--duration', values.duration),
    warmupS: positive('--warmup', values.warmup, 0),
    senders: positive('--senders', values.senders),
    latencyConcurrency: positive('--latency-concurrency', values['latency-concurrency']),
    throughputConcurrency: positive('--throughput-concurrency', values['throughput-concurrency']),
    client: values.client,
    sequentialTurns: positive('--sequential-turns', values['sequential-turns'], 0),
    analyze: !values['no-analyze'],
    cpuProfDir: values['cpu-prof'] && resolve(values['cpu-prof']),
    resultsDir: resolve(values['results-dir']),
    soakS: positive('--soak', values.soak, 0),
    scaling: !values['no-scaling'],
    scalingSizes: {
      queuedTurns: positive('--queued-turns', values['queued-turns']),
      lanes: positive('--lanes', values.lanes),
      memories: positive('--memories', values.memories),
      contacts: positive('--memory-contacts', values['memory-contacts']),
      samples: positive('--scaling-samples', values['scaling-samples']),
    },
  };
}

function positive(flag: string, value: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag}: an integer >= ${min}, not ${value}`);
  return n;
}

function engineVersion(engine: BenchEngine): string {
  if (engine === 'postgres') return 'postgres';
  const candidates = ['node_modules/@electric-sql/pglite/package.json', 'packages/api/node_modules/@electric-sql/pglite/package.json'];
  const file = candidates.map((c) => join(REPO_ROOT, c)).find((c) => existsSync(c));
  return file ? `PGlite ${(JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version}` : 'PGlite';
}

/** Ctrl-C or SIGTERM mid-run still stops the server and the cluster and removes the temp dirs. */
function onInterrupt(workDir: string): void {
  const stop = (signal: NodeJS.Signals) => {
    log(`bench: ${signal}, cleaning up`);
    void (cleanup?.() ?? Promise.resolve()).finally(() => {
      rmSync(workDir, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function phase<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw new Error(`${name}: ${messageOf(error)}`, { cause: error });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function log(line: string): void {
  console.log(line);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`bench: ${messageOf(error)}`);
    process.exit(1);
  },
);
