/**
 * The bench's report: the table printed at the end, with the targets, and bench/results/<date>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { round, type LoadClient } from './bench-load';
import { BENCH_RATE_LIMIT, PRIME_CONCURRENCY, errorCount, type EngineResult, type Options, type TargetCheck } from './bench-model';

export function printReport(engines: EngineResult[], targets: TargetCheck[]): void {
  const header = ['engine', 'run', 'concurrency', 'turns/s', 'p50 ms', 'p99 ms', 'errors', 'server CPU ms/turn', 'postgres CPU ms/turn', 'statements/turn', 'RSS MB (max)'];
  const rows = engines.flatMap((e) => e.error && e.runs.length === 0
    ? [[e.engine, 'failed', '', '', '', '', '', '', '']]
    : e.runs.map((r) => [
      e.engine, r.role, String(r.concurrency), String(r.turnsPerSec), String(r.latencyMs.p50), String(r.latencyMs.p99),
      String(errorCount(r)), String(r.cpu?.serverMsPerTurn ?? ''), e.engine === 'postgres' ? String(r.cpu?.postgresMsPerTurn ?? '') : '',
      String(r.sql?.statementsPerTurn ?? ''), String(r.rss.maxMb),
    ]));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  rows.forEach((row) => console.log(line(row)));
  for (const e of engines) if (e.error) console.log(`\n${e.engine} FAILED: ${e.error}${e.serverLog.length ? `\n  server: ${e.serverLog.slice(-10).join('\n  server: ')}` : ''}`);
  for (const { scaling } of engines) {
    if (!scaling) continue;
    const { claim, recall } = scaling;
    console.log(`\n${scaling.engine}: claim p50/p95 ${claim.emptyMs.p50}/${claim.emptyMs.p95} ms on an empty queue, ` +
      `${claim.loadedMs.p50}/${claim.loadedMs.p95} ms with ${claim.queuedTurns} turns in ${claim.lanes} lanes; ` +
      `recall p50/p95 ${recall.ms.p50}/${recall.ms.p95} ms with ${recall.memories} memories of ${recall.contacts} contacts`);
  }
  console.log('');
  for (const t of targets) {
    const verdict = t.met ? 'met' : `MISSED${t.errors > 0 ? ` (the run had ${t.errors} errors)` : ''}`;
    console.log(`target ${t.engine} ${t.metric} ${t.target}: ${t.measured ?? 'not measured'} → ${verdict}`);
  }
}

export function writeResults(options: Options, client: LoadClient, loadAtStart: number[], engines: EngineResult[], targets: TargetCheck[]): string {
  const now = new Date();
  const day = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
  mkdirSync(options.resultsDir, { recursive: true });
  const path = join(options.resultsDir, `${day}.json`);
  const machine = {
    cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: round(totalmem() / 2 ** 30),
    node: process.version, platform: process.platform, kernel: release(), loadAverageAtStart: loadAtStart,
  };
  const settings = {
    senders: options.senders, warmupS: options.warmupS, durationS: options.durationS, latencyConcurrency: options.latencyConcurrency,
    throughputConcurrency: options.throughputConcurrency, agentRateLimit: BENCH_RATE_LIMIT, dmPolicy: 'open', request: 'POST /v1/inbound?wait=true',
    oneAtATimeTurns: options.sequentialTurns, postgresAnalyzeAfterPrime: options.analyze, serverEnv: 'defaults (SB_CONCURRENCY 16)', primeConcurrency: PRIME_CONCURRENCY,
  };
  writeFileSync(path, `${JSON.stringify({ date: now.toISOString(), machine, client: { name: client.name, version: client.version }, settings, engines, targets }, null, 2)}\n`);
  return path;
}

