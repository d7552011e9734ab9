/**
 * SQL for the turn queue. Only the head of a lane (its lowest seq) can be claimed, and it stays the
 * head until its turn finishes and deletes it, so a lane runs strictly in order while lanes run in
 * parallel. Claims skip rows other workers hold (`FOR UPDATE SKIP LOCKED`) and take a lease; a
 * lease that runs out (its worker died) makes the row claimable again.
 */
import { z } from 'zod';
import { ContactId, TenantId } from '@switchboard/shared';
import type { ScopedTx, SqlRunner } from '../db/db';

export interface ClaimedTurn {
  tenantId: TenantId;
  eventId: string;
  contactId: ContactId | null;
  attempts: number;
  /** The claim's token: finishing or renewing needs it, so a worker that lost its lease cannot. */
  claim: string;
}

const ClaimRow = z.object({ tenant_id: TenantId, event_id: z.uuid(), contact_id: ContactId.nullable(), attempts: z.number().int() });

/** Claims up to `limit` lane heads (as the worker: every tenant, ids only). */
export async function claimTurns(tx: SqlRunner, claim: string, limit: number, leaseMs: number): Promise<ClaimedTurn[]> {
  const { rows } = await tx.query(
    `with heads as (
       select q.seq from turn_queue q
       where (q.lease_until is null or q.lease_until < now())
         and not exists (select 1 from turn_queue p where p.lane = q.lane and p.seq < q.seq)
       order by q.seq
       limit $2
       for update skip locked
     )
     update turn_queue q set claimed_by = $1, lease_until = now() + $3 * interval '1 millisecond', attempts = q.attempts + 1
     from heads where q.seq = heads.seq
     returning q.tenant_id, q.event_id, q.contact_id, q.attempts`,
    [claim, limit, leaseMs],
  );
  return rows.map((row) => {
    const parsed = ClaimRow.parse(row);
    return { tenantId: parsed.tenant_id, eventId: parsed.event_id, contactId: parsed.contact_id, attempts: parsed.attempts, claim };
  });
}

/** Extends the lease of turns still running under this claim. */
export async function renewLeases(tx: SqlRunner, claim: string, eventIds: string[], leaseMs: number): Promise<void> {
  await tx.query(
    `update turn_queue set lease_until = now() + $3 * interval '1 millisecond' where claimed_by = $1 and event_id = any($2)`,
    [claim, eventIds, leaseMs],
  );
}

/**
 * Frees the claims whose token starts with `prefix` (`xxxxxxxx-xxxx-`, hex): a worker's lasting id,
 * at the start of the one live process that has it (its killed predecessor's claims).
 */
export async function releaseClaimsOf(tx: SqlRunner, prefix: string): Promise<number> {
  const { rowCount } = await tx.query(
    `update turn_queue set claimed_by = null, lease_until = null where claimed_by is not null and claimed_by::text like $1 || '%'`,
    [prefix],
  );
  return rowCount;
}

/** Frees every claim: only for an engine where this process is the only worker (PGlite) at start. */
export async function releaseAllClaims(tx: SqlRunner): Promise<number> {
  const { rowCount } = await tx.query(`update turn_queue set claimed_by = null, lease_until = null where claimed_by is not null`);
  return rowCount;
}

/** Removes the finished turn's row if this claim still holds it; false means the lease was lost. */
export async function completeClaim(tx: ScopedTx, turn: ClaimedTurn): Promise<boolean> {
  const { rowCount } = await tx.query(`delete from turn_queue where tenant_id = $1 and event_id = $2 and claimed_by = $3`, [
    tx.scope.tenantId,
    turn.eventId,
    turn.claim,
  ]);
  return rowCount === 1;
}
