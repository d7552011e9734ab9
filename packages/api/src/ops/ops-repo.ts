/**
 * SQL for what /metrics and /readyz read: counts across every tenant (app.operation_counts: numbers,
 * no rows) and the names of the applied migrations, both as sb_app without a scope.
 */
import { z } from 'zod';
import type { Db } from '../db/db';
import type { OperationCounts } from './ops-metrics';

const CountsRow = z.object({
  turns_queued: z.coerce.number(),
  oldest_queued_seconds: z.coerce.number(),
  outbox_pending: z.coerce.number(),
  outbox_failed: z.coerce.number(),
});

export async function readOperationCounts(db: Db): Promise<OperationCounts> {
  const { rows } = await db.unscopedTransaction((tx) => tx.query('select * from app.operation_counts()'));
  const row = CountsRow.parse(rows[0]);
  return { turnsQueued: row.turns_queued, oldestQueuedSeconds: row.oldest_queued_seconds, outboxPending: row.outbox_pending, outboxFailed: row.outbox_failed };
}

export async function readAppliedMigrations(db: Db): Promise<Set<string>> {
  const { rows } = await db.unscopedTransaction((tx) => tx.query<{ name: string }>('select name from sb_migrations'));
  return new Set(rows.map((row) => row.name));
}
