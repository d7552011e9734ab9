/**
 * SQL for pairing requests: one pending code per contact, created by the accept's call
 * (app.pairing_code_of); the owner lists and approves them by code.
 */
import { z } from 'zod';
import { ContactId, type PairingRequest } from '@switchboard/shared';
import type { ScopedTx } from '../db/db';

const RequestRow = z
  .object({ code: z.string(), contact_id: ContactId, created_at: z.coerce.date() })
  .transform((r): PairingRequest => ({ code: r.code, contactId: r.contact_id, createdAt: r.created_at }));

export async function listPairings(tx: ScopedTx): Promise<PairingRequest[]> {
  const { rows } = await tx.query(
    `select code, contact_id, created_at from pairing_requests where tenant_id = $1 order by created_at`,
    [tx.scope.tenantId],
  );
  return rows.map((row) => RequestRow.parse(row));
}

/** Removes the request with this code; returns its contact, or undefined for an unknown code. */
export async function takePairing(tx: ScopedTx, code: string): Promise<ContactId | undefined> {
  const { rows } = await tx.query(`delete from pairing_requests where tenant_id = $1 and code = $2 returning contact_id`, [
    tx.scope.tenantId,
    code,
  ]);
  return rows[0] === undefined ? undefined : ContactId.parse(rows[0].contact_id);
}

export async function erasePairings(tx: ScopedTx, contactIds: ContactId[]): Promise<Record<string, number>> {
  const { rowCount } = await tx.query(`delete from pairing_requests where tenant_id = $1 and contact_id = any($2)`, [
    tx.scope.tenantId,
    contactIds,
  ]);
  return { pairingRequests: rowCount };
}
