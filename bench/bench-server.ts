/**
 * One engine under test: a temp SB_HOME, for PostgreSQL a throwaway cluster (test/postgres-cluster.ts,
 * fsync off, restarted with pg_stat_statements preloaded) with a fresh `sb_bench` database, and the
 * real server as a child process
 * (`node packages/api/dist/main.js`, SB_PORT=0), whose `listening on <url>` line gives the address.
 * `stop` ends the server (SIGTERM, then SIGKILL), stops the cluster and removes the temp dirs.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { databaseUrl, findPostgresBinDir, startPostgresCluster, stopPostgresCluster, type PostgresCluster } from '../test/postgres-cluster';
import { readPostmasterPid } from './bench-cpu';

export type BenchEngine = 'pglite' | 'postgres';

export interface BenchServer {
  engine: BenchEngine;
  url: string;
  ownerToken: string;
  home: string;
  serverPid: number | undefined;
  postmasterPid: number | undefined;
  /** PostgreSQL only: superuser connection string of the bench database, version and settings. */
  postgres?: { url: string; version: string; settings: Record<string, string> };
  /** Lines the server printed after it started listening (turn failures and the like). */
  logLines(): string[];
  stop(): Promise<void>;
}

export interface StartOptions {
  repoRoot: string;
  /** Directory for a `--cpu-prof` profile of the server, written when it exits. */
  cpuProfDir?: string | undefined;
  /** Receives the clean-up as soon as there is something to clean up (for Ctrl-C during start-up). */
  onCleanup?: (stop: () => Promise<void>) => void;
}

const DATABASE = 'sb_bench';

export async function startBenchServer(engine: BenchEngine, options: StartOptions): Promise<BenchServer> {
  const home = mkdtempSync(join(tmpdir(), `sb-bench-${engine}-`));
  let cluster: PostgresCluster | undefined;
  let child: ChildProcess | undefined;
  const stop = async () => {
    try {
      if (child) await stopChild(child);
      if (cluster) stopPostgresCluster(cluster);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  };
  options.onCleanup?.(stop);
  try {
    let postgres: BenchServer['postgres'];
    if (engine === 'postgres') {
      const binDir = findPostgresBinDir();
      if (!binDir) throw new Error('no PostgreSQL >= 15 server binaries found (set SB_PG_BIN)');
      cluster = startPostgresCluster(binDir);
      await preloadStatementStats(cluster);
      postgres = await createBenchDatabase(cluster);
    }
    const ownerToken = randomBytes(24).toString('hex');
    const started = await spawnServer(options, { SB_HOME: home, SB_PORT: '0', SB_OWNER_TOKEN: ownerToken, DATABASE_URL: postgres?.url });
    child = started.child;
    return {
      engine, url: started.url, ownerToken, home, serverPid: child.pid,
      postmasterPid: cluster ? readPostmasterPid(join(cluster.baseDir, 'data')) : undefined,
      ...(postgres ? { postgres } : {}),
      logLines: started.logLines,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** pg_stat_statements needs a restart; `pg_ctl restart` keeps the options the cluster started with. */
async function preloadStatementStats(cluster: PostgresCluster): Promise<void> {
  const admin = new Client({ connectionString: cluster.url });
  await admin.connect();
  try {
    await admin.query(`alter system set shared_preload_libraries = 'pg_stat_statements'`);
  } finally {
    await admin.end();
  }
  const pgCtl = join(cluster.binDir, 'pg_ctl');
  // -l again: without it the restarted server would inherit (and hold open) this call's stdout pipe.
  const args = ['-D', join(cluster.baseDir, 'data'), '-l', join(cluster.baseDir, 'server.log'), '-w', '-t', '60', 'restart'];
  // As root the cluster runs as the postgres user (initdb refuses root), so pg_ctl does too.
  if (userInfo().uid === 0) execFileSync('runuser', ['-u', 'postgres', '--', pgCtl, ...args], { stdio: 'pipe' });
  else execFileSync(pgCtl, args, { stdio: 'pipe' });
  // Planning time too: the server sends every statement unprepared, so PostgreSQL plans each call.
  const restarted = new Client({ connectionString: cluster.url });
  await restarted.connect();
  try {
    await restarted.query('alter system set pg_stat_statements.track_planning = on');
    await restarted.query('select pg_reload_conf()');
  } finally {
    await restarted.end();
  }
}

async function createBenchDatabase(cluster: PostgresCluster): Promise<NonNullable<BenchServer['postgres']>> {
  const admin = new Client({ connectionString: cluster.url });
  await admin.connect();
  try {
    await admin.query(`create database ${DATABASE}`);
    // The statements inside our SQL functions too (marked not top-level): where a call's time goes.
    await admin.query(`alter database ${DATABASE} set pg_stat_statements.track = 'all'`);
    const { rows } = await admin.query<{ version: string }>('select version()');
    const settings: Record<string, string> = {};
    for (const name of ['fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'max_connections', 'shared_preload_libraries', 'pg_stat_statements.track_planning']) {
      const shown = await admin.query<Record<string, string>>(`show ${name}`);
      settings[name] = shown.rows[0]?.[name] ?? '';
    }
    return { url: databaseUrl(cluster.url, DATABASE), version: rows[0]?.version ?? '', settings };
  } finally {
    await admin.end();
  }
}

const LISTENING = /switchboard: listening on (\S+)/;
const KEPT_LOG_LINES = 50;

function spawnServer(options: StartOptions, env: Record<string, string | undefined>): Promise<{ child: ChildProcess; url: string; logLines: () => string[] }> {
  const profile = options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : [];
  const childEnv = { ...withoutSwitchboardEnv(process.env), ...definedOnly(env) };
  const child = spawn(process.execPath, [...profile, join(options.repoRoot, 'packages/api/dist/main.js')], {
    cwd: options.repoRoot, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let listening = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('the server did not start listening within 120 s')), 120_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n${lines.join('\n')}`));
    };
    const onLine = (line: string) => {
      const match = listening ? null : LISTENING.exec(line);
      if (match?.[1]) {
        listening = true;
        clearTimeout(timer);
        resolve({ child, url: match[1], logLines: () => [...lines] });
        return;
      }
      lines.push(line);
      if (lines.length > KEPT_LOG_LINES) lines.shift();
    };
    forEachLine(child.stdout, onLine);
    forEachLine(child.stderr, onLine);
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      if (!listening) fail(new Error(`the server exited (${code ?? signal}) before listening`));
    });
  });
}

function forEachLine(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  let buffered = '';
  stream?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    parts.forEach(onLine);
  });
}

/** SIGTERM (the server closes gracefully and exits 0), SIGKILL after 20 s. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** The parent's environment without SB_* or DATABASE_URL, so only the bench's settings apply. */
function withoutSwitchboardEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && !key.startsWith('SB_') && key !== 'DATABASE_URL') kept[key] = value;
  }
  return kept;
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
