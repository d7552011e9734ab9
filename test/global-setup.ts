/**
 * Prepares both engines once per test run: a migrated PGlite snapshot that each test file loads,
 * and a PostgreSQL server (DATABASE_URL, or a throwaway cluster) with a migrated template database
 * that each test file copies, and with a throwaway cluster a second one shaped like Supabase
 * (test/supabase-cluster.ts) with a template migrated by its non-superuser `postgres`.
 * SB_REQUIRE_POSTGRES=1 turns a missing PostgreSQL into a failure.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createPgDb, createPgliteDb, migrate, MIGRATIONS_DIR } from '@switchboard/api';
import { TEMPLATE_DATABASE, databaseUrl, findPostgresBinDir, startPostgresCluster } from './postgres-cluster';
import { ownerUrl, startSupabaseCluster } from './supabase-cluster';

export default async function globalSetup(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'sb-test-'));
  process.env.SB_TEST_WORK_DIR = workDir;
  process.env.SB_TEST_PGLITE_SNAPSHOT = await buildPgliteSnapshot(workDir);
  const serverUrl = startPostgres();
  if (serverUrl) {
    await buildTemplateDatabase(serverUrl);
    process.env.SB_TEST_PG_URL = serverUrl;
  }
  if (process.env.SB_TEST_PG_CLUSTER) await startSupabase();
}

async function startSupabase(): Promise<void> {
  const { binDir } = JSON.parse(process.env.SB_TEST_PG_CLUSTER ?? '{}') as { binDir: string };
  const cluster = await startSupabaseCluster(binDir);
  process.env.SB_TEST_SUPABASE_CLUSTER = JSON.stringify({ baseDir: cluster.baseDir, binDir: cluster.binDir });
  const admin = new Client({ connectionString: cluster.url });
  await admin.connect();
  try {
    await admin.query(`create database ${TEMPLATE_DATABASE}`);
    await admin.query(`grant create, connect, temporary on database ${TEMPLATE_DATABASE} to postgres`);
  } finally {
    await admin.end();
  }
  const db = createPgDb({ connectionString: ownerUrl(cluster.url, TEMPLATE_DATABASE) });
  try {
    await migrate(db, MIGRATIONS_DIR);
  } finally {
    await db.close();
  }
  process.env.SB_TEST_SUPABASE_URL = cluster.url;
}

async function buildPgliteSnapshot(workDir: string): Promise<string> {
  const db = await createPgliteDb({ kind: 'memory' });
  try {
    await migrate(db, MIGRATIONS_DIR);
    const path = join(workDir, 'pglite-snapshot.tar');
    writeFileSync(path, Buffer.from(await (await db.dump()).arrayBuffer()));
    return path;
  } finally {
    await db.close();
  }
}

function startPostgres(): string | undefined {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const binDir = findPostgresBinDir();
  if (!binDir) {
    if (process.env.SB_REQUIRE_POSTGRES === '1') {
      throw new Error('SB_REQUIRE_POSTGRES=1 but no DATABASE_URL is set and no PostgreSQL >= 15 initdb was found');
    }
    console.warn('\nPostgreSQL not found (no DATABASE_URL, no initdb): data tests run on PGlite only.\n');
    return undefined;
  }
  const cluster = startPostgresCluster(binDir);
  process.env.SB_TEST_PG_CLUSTER = JSON.stringify({ baseDir: cluster.baseDir, binDir: cluster.binDir });
  return cluster.url;
}

async function buildTemplateDatabase(serverUrl: string): Promise<void> {
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${TEMPLATE_DATABASE}`);
    await admin.query(`create database ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  const db = createPgDb({ connectionString: databaseUrl(serverUrl, TEMPLATE_DATABASE) });
  try {
    await migrate(db, MIGRATIONS_DIR);
  } finally {
    await db.close();
  }
}
