/** SQL for pairing requests: one pending code per contact; the owner approves by code. */
import { randomInt } from 'node:crypto';
import { z } from 'zod';
import { ContactId, type PairingRequest } from '@switchboard/shared';
import type { ScopedTx } from '../db/db';

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

function newCode(): string {
  return Array.from({ length: 8 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
}

const RequestRow = z
  .object({ code: z.string(), contact_id: ContactId, created_at: z.coerce.date(), created: z.boolean().optional() })
  .transform((r) => ({ code: r.code, contactId: r.contact_id, createdAt: r.created_at, created: r.created ?? false }));

/** The contact's pending code, created on its first message; `created` tells whether it is new. */
export async function findOrCreatePairing(tx: ScopedTx, contactId: ContactId): Promise<PairingRequest & { created: boolean }> {
  const { rows } = await tx.query(
    `with ins as (
       insert into pairing_requests (tenant_id, code, contact_id) values ($1, $3, $2)
       on conflict do nothing returning code, contact_id, created_at
     )
     select code, contact_id, created_at, true as created from ins
     union all
     select code, contact_id, created_at, false from pairing_requests
     where tenant_id = $1 and contact_id = $2 and not exists (select 1 from ins)`,
    [tx.scope.tenantId, contactId, newCode()],
  );
  if (rows[0] === undefined) return findOrCreatePairing(tx, contactId); // the random code was taken
  return RequestRow.parse(rows[0]);
}

export async function listPairings(tx: ScopedTx): Promise<PairingRequest[]> {
  const { rows } = await tx.query(
    `select code, contact_id, created_at from pairing_requests where tenant_id = $1 order by created_at`,
    [tx.scope.tenantId],
  );
  return rows.map((row) => RequestRow.parse(row)).map(({ created: _created, ...request }) => request);
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
