/**
 * Opens the configured database and brings its schema up to date: PostgreSQL when a connection
 * string is given, else embedded PGlite in `<home>/data` (locked to this process). On PostgreSQL
 * the owner's connection migrates and prepares the login role; requests then log in as that role
 * (or as SB_APP_DATABASE_URL's), checked to be unable to leave row-level security.
 */
import { join } from 'node:path';
import type { Log } from '../ops/ops-log';
import type { Db } from './db';
import { migrate, MIGRATIONS_DIR } from './migrate';
import { createPgDb } from './pg-db';
import { assertUnprivilegedLogin, prepareLoginRole } from './pg-login-role';
import { createPgliteDb } from './pglite-db';

export interface DbConfig {
  home: string;
  databaseUrl?: string | undefined;
  /** Where PostgreSQL requests log in; unset, a login role is generated (pg-login-role). */
  appDatabaseUrl?: string | undefined;
  migrationsDir?: string | undefined;
  /** PostgreSQL pool size. */
  maxConnections?: number | undefined;
  /** Where the PostgreSQL connections report failures. */
  log?: Log | undefined;
}

export async function openDb(config: DbConfig): Promise<Db> {
  if (config.databaseUrl) return openPostgres({ ...config, databaseUrl: config.databaseUrl });
  const db = await createPgliteDb({ kind: 'directory', path: join(config.home, 'data') });
  return migrated(db, config);
}

async function openPostgres(config: DbConfig & { databaseUrl: string }): Promise<Db> {
  const owner = createPgDb({ connectionString: config.databaseUrl, maxConnections: 1, log: config.log });
  let appUrl: string;
  try {
    await migrate(owner, config.migrationsDir ?? MIGRATIONS_DIR);
    appUrl = config.appDatabaseUrl ?? (await prepareLoginRole(owner, config.databaseUrl, config.home));
  } finally {
    await owner.close();
  }
  const db = createPgDb({ connectionString: config.databaseUrl, appConnectionString: appUrl, maxConnections: config.maxConnections ?? 10, log: config.log });
  try {
    await assertUnprivilegedLogin(db);
    return db;
  } catch (error) {
    await db.close();
    throw error;
  }
}

async function migrated(db: Db, config: DbConfig): Promise<Db> {
  try {
    await migrate(db, config.migrationsDir ?? MIGRATIONS_DIR);
    return db;
  } catch (error) {
    await db.close();
    throw error;
  }
}
