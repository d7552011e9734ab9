/**
 * Applies `supabase/migrations/<timestamp>_<name>.sql` in name order, each once, recorded with its
 * checksum in `sb_migrations`. All pending files apply in one transaction under an advisory lock,
 * so processes starting together on one PostgreSQL apply nothing twice, and a failure applies nothing.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db, SqlRunner } from './db';

const MIGRATION_FILE = /^\d{14}_[a-z0-9_]+\.sql$/;
const MIGRATION_LOCK_KEY = 7_311_402_901; // any constant; one advisory lock per database

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export async function readMigrations(directory: string): Promise<MigrationFile[]> {
  const names = (await readdir(directory)).filter((name) => MIGRATION_FILE.test(name)).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(join(directory, name), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

/** Applies the pending migrations; returns the names it applied. */
export async function migrate(db: Db, directory: string): Promise<string[]> {
  const files = await readMigrations(directory);
  return db.adminTransaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.exec(
      'create table if not exists sb_migrations (name text primary key, checksum text not null, applied_at timestamptz not null default now())',
    );
    const applied = await readApplied(tx);
    const pending = files.filter((file) => !applied.has(file.name));
    assertUnchanged(files, applied);
    for (const file of pending) {
      await tx.exec(file.sql);
      await tx.query('insert into sb_migrations (name, checksum) values ($1, $2)', [file.name, file.checksum]);
    }
    return pending.map((file) => file.name);
  });
}

async function readApplied(tx: SqlRunner): Promise<Map<string, string>> {
  const { rows } = await tx.query<{ name: string; checksum: string }>('select name, checksum from sb_migrations');
  return new Map(rows.map((row) => [row.name, row.checksum]));
}

function assertUnchanged(files: MigrationFile[], applied: Map<string, string>): void {
  for (const file of files) {
    const checksum = applied.get(file.name);
    if (checksum !== undefined && checksum !== file.checksum) {
      throw new Error(`Migration ${file.name} was changed after it was applied; add a new migration instead`);
    }
  }
}

/** `supabase/migrations` at the repository root (the same depth from src/db and dist/db). */
export const MIGRATIONS_DIR = join(__dirname, '..', '..', '..', '..', 'supabase', 'migrations');
