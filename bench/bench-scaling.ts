/**
 * The scaling rows of the bench, measured on a database of their own (a throwaway PostgreSQL
 * cluster, or an in-memory PGlite) opened in this process, not through the server:
 * - claim cost: one worker claim of 16 lane heads from a queue that holds just those 16 turns (the
 *   "empty" queue: a claim that finds nothing does no work to compare with), then from 100,000 turns
 *   queued across 10,000 lanes (each claim's rows are freed again, so the backlog stays the same);
 * - recall: a contact's memory search (the `recall` tool's path) with 1,000,000 memories in the
 *   tenant, 1,000 per contact, each ten words of a 20,000-word vocabulary.
 * Each is the time of the call as the application sees it (one statement, or its transaction), p50 and p95.
 */
import { Client } from 'pg';
import type { ContactId, TenantId } from '@switchboard/shared';
import {
  claimTurns, contactScope, createPgDb, createPgliteDb, createServices, findTenantId, migrate, MIGRATIONS_DIR, type Db,
} from '@switchboard/api';
import { databaseUrl, findPostgresBinDir, startPostgresCluster, stopPostgresCluster, type PostgresCluster } from '../test/postgres-cluster';
import type { BenchEngine } from './bench-server';
import { round } from './bench-load';

export interface ScalingOptions {
  queuedTurns: number;
  lanes: number;
  memories: number;
  contacts: number;
  samples: number;
}

export interface Percentiles { p50: number; p95: number; max: number }

export interface ScalingResult {
  engine: BenchEngine;
  claim: { queuedTurns: number; lanes: number; emptyMs: Percentiles; loadedMs: Percentiles; slowdownPct: number };
  recall: { memories: number; contacts: number; setupS: number; ms: Percentiles };
}

const CLAIM_LIMIT = 16;
const LEASE_MS = 60_000;
const WARM_UP_CLAIMS = 20;
const VOCABULARY = 20_000;
const WORDS_PER_MEMORY = 10;
const QUERY_WORDS = 6;
/** What the fills write: vacuumed and analyzed before timing, as a database in use would be. */
const FILLED_TABLES = ['inbound_events', 'turn_queue', 'contacts', 'memories'];

export async function benchScaling(engine: BenchEngine, options: ScalingOptions, log: (line: string) => void): Promise<ScalingResult> {
  const opened = await openScalingDb(engine);
  try {
    const { db } = opened;
    const tenantId = await findTenantId(db, 'default');
    if (!tenantId) throw new Error('the migrated database has no default tenant');
    await fillQueue(db, tenantId, { queuedTurns: CLAIM_LIMIT, lanes: CLAIM_LIMIT });
    await opened.analyze();
    const emptyMs = await timeClaims(db, options.samples);
    await db.adminTransaction((tx) => tx.query('delete from turn_queue'));
    await fillQueue(db, tenantId, options);
    await opened.analyze();
    const loadedMs = await timeClaims(db, options.samples);
    const claim = {
      queuedTurns: options.queuedTurns, lanes: options.lanes, emptyMs, loadedMs,
      slowdownPct: round(((loadedMs.p50 - emptyMs.p50) / emptyMs.p50) * 100),
    };
    log(`bench [${engine}]: claim of ${CLAIM_LIMIT} heads: ${CLAIM_LIMIT} turns queued p50 ${emptyMs.p50} ms; ${options.queuedTurns} turns in ${options.lanes} lanes p50 ${loadedMs.p50} ms (${claim.slowdownPct}%)`);
    const started = performance.now();
    const contacts = await fillMemories(db, tenantId, options);
    await opened.analyze();
    const setupS = round((performance.now() - started) / 1000);
    const ms = await timeRecalls(db, tenantId, contacts, options.samples);
    log(`bench [${engine}]: recall with ${options.memories} memories (${setupS} s to load): p50 ${ms.p50} ms, p95 ${ms.p95} ms`);
    return { engine, claim, recall: { memories: options.memories, contacts: options.contacts, setupS, ms } };
  } finally {
    await opened.close();
  }
}

async function openScalingDb(engine: BenchEngine): Promise<{ db: Db; analyze: () => Promise<void>; close: () => Promise<void> }> {
  if (engine === 'pglite') {
    const db = await createPgliteDb({ kind: 'memory' });
    await migrate(db, MIGRATIONS_DIR);
    const analyze = async () => {
      await db.vacuum(FILLED_TABLES);
      await db.adminTransaction((tx) => tx.exec('analyze'));
    };
    return { db, analyze, close: () => db.close() };
  }
  const binDir = findPostgresBinDir();
  if (!binDir) throw new Error('no PostgreSQL >= 15 server binaries found (set SB_PG_BIN)');
  const cluster: PostgresCluster = startPostgresCluster(binDir);
  try {
    const admin = new Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query('create database sb_scaling');
    await admin.end();
    const url = databaseUrl(cluster.url, 'sb_scaling');
    const db = createPgDb({ connectionString: url });
    await migrate(db, MIGRATIONS_DIR);
    return {
      db,
      // VACUUM runs outside a transaction, so on a connection of its own.
      analyze: async () => {
        const client = new Client({ connectionString: url });
        await client.connect();
        try {
          await client.query(`vacuum analyze ${FILLED_TABLES.join(', ')}`);
        } finally {
          await client.end();
        }
      },
      close: async () => {
        await db.close();
        stopPostgresCluster(cluster);
      },
    };
  } catch (error) {
    stopPostgresCluster(cluster);
    throw error;
  }
}

/**
 * Claims lane heads as the worker does, then frees them by their event ids (untimed), `samples`
 * times after WARM_UP_CLAIMS untimed ones (connections opened, plans cached, pages in memory).
 */
async function timeClaims(db: Db, samples: number): Promise<Percentiles> {
  const times: number[] = [];
  for (let i = 0; i < WARM_UP_CLAIMS + samples; i++) {
    const started = performance.now();
    const claimed = await claimTurns(db, crypto.randomUUID(), CLAIM_LIMIT, LEASE_MS);
    if (i >= WARM_UP_CLAIMS) times.push(performance.now() - started);
    const events = claimed.map((turn) => turn.eventId);
    await db.adminTransaction((tx) => tx.query('update turn_queue set claimed_by = null, lease_until = null, attempts = 0 where event_id = any ($1::uuid[])', [events]));
  }
  return percentiles(times);
}

/** `queuedTurns` owner messages, round robin over `lanes` threads, each with its queue row. */
async function fillQueue(db: Db, tenantId: TenantId, options: Pick<ScalingOptions, 'queuedTurns' | 'lanes'>): Promise<void> {
  await db.adminTransaction(async (tx) => {
    const { rows } = await tx.query<{ id: string }>(`select id from agents where tenant_id = $1 and name = 'default'`, [tenantId]);
    const agentId = rows[0]?.id;
    await tx.query(
      `with ev as (
         insert into inbound_events (tenant_id, agent_id, channel, account_key, chat_id, chat_type, thread_key, platform_message_id, text, status)
         select $1, $2, 'cli', 'default', 'owner', 'direct', 'lane-' || (g % $4), 'scaling-' || $3 || '-' || g, 'queued message ' || g, 'queued'
         from generate_series(1, $3::int) g
         returning id, tenant_id, thread_key, platform_message_id
       )
       insert into turn_queue (tenant_id, event_id, contact_id, lane)
       select tenant_id, id, null, tenant_id || '/' || $2 || '/owner/' || thread_key from ev
       order by split_part(platform_message_id, '-', 3)::int`,
      [tenantId, agentId, options.queuedTurns, options.lanes],
    );
  });
}

/** `contacts` people with `memories / contacts` private memories each. */
async function fillMemories(db: Db, tenantId: TenantId, options: ScalingOptions): Promise<ContactId[]> {
  return db.adminTransaction(async (tx) => {
    const { rows } = await tx.query<{ id: ContactId }>(
      `insert into contacts (tenant_id, kind, display_name) select $1, 'person', 'scaling ' || g from generate_series(1, $2::int) g returning id`,
      [tenantId, options.contacts],
    );
    const ids = rows.map((row) => row.id);
    const perContact = Math.ceil(options.memories / options.contacts);
    await tx.query(
      `insert into memories (tenant_id, contact_id, content)
       select $1, c.id, (select string_agg(${wordSql('(random() * ($4 - 1))::int + (k + i) * 0')}, ' ') from generate_series(1, $5::int) k)
       from unnest($2::uuid[]) c(id), generate_series(1, $3::int) i`,
      [tenantId, ids, perContact, VOCABULARY, WORDS_PER_MEMORY],
    );
    return ids;
  });
}

/** Word n of the vocabulary: six letters derived from n, the same in SQL and here. */
function wordSql(n: string): string {
  return `translate(substr(md5((${n})::text), 1, 6), '0123456789', 'ghijklmnop')`;
}

async function timeRecalls(db: Db, tenantId: TenantId, contacts: ContactId[], samples: number): Promise<Percentiles> {
  const { memories } = createServices(db);
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const contact = contacts[Math.floor(Math.random() * contacts.length)] as ContactId;
    const query = await queryOf(db, QUERY_WORDS);
    const started = performance.now();
    await memories.recall(contactScope(tenantId, contact), query, { limit: 5 });
    times.push(performance.now() - started);
  }
  return percentiles(times);
}

async function queryOf(db: Db, words: number): Promise<string> {
  const { rows } = await db.adminTransaction((tx) =>
    tx.query<{ q: string }>(`select string_agg(${wordSql('(random() * ($1 - 1))::int + k * 0')}, ' ') as q from generate_series(1, $2::int) k`, [VOCABULARY, words]));
  return rows[0]?.q ?? '';
}

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  return { p50: at(0.5), p95: at(0.95), max: round(sorted[sorted.length - 1] ?? 0) };
}
