/**
 * SQL for the turn queue. Only the head of a lane (its lowest seq) can be claimed, and it stays the
 * head until its turn finishes and deletes it, so a lane runs strictly in order while lanes run in
 * parallel. Claims skip rows other workers hold (`FOR UPDATE SKIP LOCKED`) and take a lease; a
 * lease that runs out (its worker died) makes the row claimable again. Claims and renewals are one
 * call each (app.claim_turns, app.renew_turn_leases); the turn deletes its row when it finishes.
 */
import { z } from 'zod';
import { ContactId, TenantId } from '@switchboard/shared';
import type { Db, SqlRunner } from '../db/db';
import type { OpenedTurn } from './turn-call-repo';

export interface ClaimedTurn {
  tenantId: TenantId;
  eventId: string;
  contactId: ContactId | null;
  attempts: number;
  /** The claim's token: finishing or renewing needs it, so a worker that lost its lease cannot. */
  claim: string;
  /** The turn as opened by the call that claimed it; none: the runner opens it itself. */
  opened?: OpenedTurn;
}

const ClaimRow = z.object({ tenant_id: TenantId, event_id: z.uuid(), contact_id: ContactId.nullable(), attempts: z.number().int() });

/** Claims up to `limit` lane heads (as the worker: every tenant, ids only), in one call. */
export async function claimTurns(db: Db, claim: string, limit: number, leaseMs: number): Promise<ClaimedTurn[]> {
  const { rows } = await db.workerCall(
    'select tenant_id, event_id, contact_id, attempts from app.claim_turns($1::uuid, $2::int, $3::int)',
    [claim, limit, leaseMs],
  );
  return rows.map((row) => {
    const parsed = ClaimRow.parse(row);
    return { tenantId: parsed.tenant_id, eventId: parsed.event_id, contactId: parsed.contact_id, attempts: parsed.attempts, claim };
  });
}

/** Extends the lease of turns still running under this claim, in one call. */
export async function renewLeases(db: Db, claim: string, eventIds: string[], leaseMs: number): Promise<void> {
  await db.workerCall('select app.renew_turn_leases($1::uuid, $2::uuid[], $3::int)', [claim, eventIds, leaseMs]);
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
