/**
 * Replies whose delivery lease belongs to a dead gateway become due again at once, instead of
 * waiting the lease out: the rows of one account when its lease holder restarts (same holder, so
 * the claims were its predecessor's), or every row at start-up on PGlite, where no other process
 * can hold any. Only the lease is dropped: order, attempts and backoff stay as they were.
 */
import type { ScopedTx, SqlRunner } from '../db/db';

/** Inside the caller's transaction: frees the leased, undelivered replies of one account; how many. */
export async function releaseAccountClaimsIn(tx: ScopedTx, channel: string, accountKey: string): Promise<number> {
  const { rowCount } = await tx.query(
    `update outbox set leased_until = null
     where tenant_id = $1 and channel = $2 and account_key = $3 and status = 'pending' and leased_until is not null`,
    [tx.scope.tenantId, channel, accountKey],
  );
  return rowCount;
}

/** Start-up of the only process (PGlite), as the schema owner: frees every leased, undelivered reply. */
export async function releaseAllReplyClaims(tx: SqlRunner): Promise<number> {
  const { rowCount } = await tx.query(`update outbox set leased_until = null where status = 'pending' and leased_until is not null`);
  return rowCount;
}
