/**
 * `/readyz`: ready when the database answers, as requests reach it, within a few seconds and every
 * migration this build ships is recorded as applied. Otherwise an `unavailable` AppError (503)
 * that says which, without the database's own words.
 */
import { AppError } from '@switchboard/shared';
import type { Db } from '../db/db';
import { readAppliedMigrations } from './ops-repo';

export type CheckReady = () => Promise<void>;

const READY_TIMEOUT_MS = 5000;
/** PostgreSQL's answers when sb_migrations is absent or not readable yet: the schema is behind. */
const SCHEMA_BEHIND = new Set(['42P01', '42501']);

export function createReadiness(db: Db, migrationNames: readonly string[], timeoutMs = READY_TIMEOUT_MS): CheckReady {
  return async () => {
    const applied = await withTimeout(readAppliedMigrations(db), timeoutMs).catch((error: unknown) => {
      if (SCHEMA_BEHIND.has(sqlStateOf(error))) return new Set<string>();
      throw new AppError('unavailable', 'The database does not answer', { cause: error });
    });
    const missing = migrationNames.filter((name) => !applied.has(name));
    if (missing.length > 0) throw new AppError('unavailable', `Migrations not applied: ${missing.join(', ')}`);
  };
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

function sqlStateOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}
