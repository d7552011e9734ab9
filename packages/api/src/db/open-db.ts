/**
 * Opens the configured database and brings its schema up to date: PostgreSQL when a connection
 * string is given, else embedded PGlite in `<home>/data` (locked to this process).
 */
import { join } from 'node:path';
import type { Db } from './db';
import { migrate, MIGRATIONS_DIR } from './migrate';
import { createPgDb } from './pg-db';
import { createPgliteDb } from './pglite-db';

export interface DbConfig {
  home: string;
  databaseUrl?: string | undefined;
  migrationsDir?: string | undefined;
  /** PostgreSQL pool size. */
  maxConnections?: number | undefined;
}

export async function openDb(config: DbConfig): Promise<Db> {
  const db = config.databaseUrl
    ? createPgDb({ connectionString: config.databaseUrl, maxConnections: config.maxConnections ?? 10 })
    : await createPgliteDb({ kind: 'directory', path: join(config.home, 'data') });
  try {
    await migrate(db, config.migrationsDir ?? MIGRATIONS_DIR);
    return db;
  } catch (error) {
    await db.close();
    throw error;
  }
}
