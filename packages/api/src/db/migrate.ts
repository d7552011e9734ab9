/**
 * Applies `supabase/migrations/<timestamp>_<name>.sql` in name order, each once, recorded with its
 * checksum in `sb_migrations`. All pending files apply in one transaction under an advisory lock,
 * so processes starting together on one PostgreSQL apply nothing twice, and a failure applies nothing.
 * On a database that the Supabase CLI migrates too (`supabase db push` keeps its own record in
 * `supabase_migrations.schema_migrations`), a file the CLI applied is recorded here without running
 * again, and a file applied here is recorded there, so either way of migrating sees the other's work.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db, SqlRunner } from './db';

const MIGRATION_FILE = /^\d{14}_[a-z0-9_]+\.sql$/;
const MIGRATION_LOCK_KEY = 7_311_402_901; // any constant; one advisory lock per database

/**
 * Files corrected after release, with the checksums they had when databases applied them. Their
 * correction changes nothing for a database that ran the earlier text.
 */
const EARLIER_CHECKSUMS: Readonly<Record<string, readonly string[]>> = {
  // Made sb_migrations itself, so that `supabase db push` can run it before any server did.
  '20261208040000_operations.sql': ['7e5f4ed30ad73256a4198cbc0fb78cbfe445c4694d782c42120e2ef2b036a457'],
};

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
    const pushed = await readSupabasePushed(tx);
    for (const file of pending) {
      if (!pushed?.has(versionOf(file))) await tx.exec(file.sql);
      await tx.query('insert into sb_migrations (name, checksum) values ($1, $2)', [file.name, file.checksum]);
    }
    if (pushed) await recordForSupabase(tx, files.filter((file) => !pushed.has(versionOf(file))));
    return pending.filter((file) => !pushed?.has(versionOf(file))).map((file) => file.name);
  });
}

async function readApplied(tx: SqlRunner): Promise<Map<string, string>> {
  const { rows } = await tx.query<{ name: string; checksum: string }>('select name, checksum from sb_migrations');
  return new Map(rows.map((row) => [row.name, row.checksum]));
}

/** `20261124000000_foundation.sql` → version `20261124000000`, name `foundation`, as the Supabase CLI names them. */
function versionOf(file: MigrationFile): string {
  return file.name.slice(0, 14);
}

/** The versions `supabase db push` recorded, or undefined when the CLI's table is absent (or not ours to write). */
async function readSupabasePushed(tx: SqlRunner): Promise<Set<string> | undefined> {
  const { rows: [usable] } = await tx.query<{ usable: boolean }>(
    `select case when to_regclass('supabase_migrations.schema_migrations') is null then false
       else has_table_privilege('supabase_migrations.schema_migrations', 'select')
         and has_table_privilege('supabase_migrations.schema_migrations', 'insert') end as usable`);
  if (!usable?.usable) return undefined;
  const { rows } = await tx.query<{ version: string }>('select version from supabase_migrations.schema_migrations');
  return new Set(rows.map((row) => row.version));
}

async function recordForSupabase(tx: SqlRunner, files: MigrationFile[]): Promise<void> {
  for (const file of files) {
    await tx.query(
      `insert into supabase_migrations.schema_migrations (version, name, statements)
       select $1::text, $2::text, array[$3::text]
       where not exists (select 1 from supabase_migrations.schema_migrations where version = $1::text)`,
      [versionOf(file), file.name.slice(15, -'.sql'.length), file.sql],
    );
  }
}

function assertUnchanged(files: MigrationFile[], applied: Map<string, string>): void {
  for (const file of files) {
    const checksum = applied.get(file.name);
    if (checksum !== undefined && checksum !== file.checksum && !EARLIER_CHECKSUMS[file.name]?.includes(checksum)) {
      throw new Error(`Migration ${file.name} was changed after it was applied; add a new migration instead`);
    }
  }
}

/** `supabase/migrations` at the repository root (the same depth from src/db and dist/db). */
export const MIGRATIONS_DIR = join(__dirname, '..', '..', '..', '..', 'supabase', 'migrations');
