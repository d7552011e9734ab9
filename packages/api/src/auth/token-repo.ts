/**
 * Token lookup and registration. Tokens are stored as SHA-256 hashes; the lookup runs as sb_app
 * with `app.token_hash` set, so row-level security shows it at most the one row it already names.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { TenantId } from '@switchboard/shared';
import type { Db } from '../db/db';

export const TokenKind = z.enum(['owner', 'gateway']);
export type TokenKind = z.infer<typeof TokenKind>;

export interface TokenOwner {
  tenantId: TenantId;
  kind: TokenKind;
}

const TokenRow = z.object({ tenant_id: TenantId, kind: TokenKind });

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export async function findTokenOwner(db: Db, token: string): Promise<TokenOwner | undefined> {
  const hash = hashToken(token);
  const { rows } = await db.unscopedTransaction(async (tx) => {
    await tx.query(`select set_config('app.token_hash', $1, true)`, [hash]);
    return tx.query('select tenant_id, kind from api_tokens where token_hash = $1', [hash]);
  });
  if (rows[0] === undefined) return undefined;
  const row = TokenRow.parse(rows[0]);
  return { tenantId: row.tenant_id, kind: row.kind };
}

/** Registers a token for the tenant at start-up (schema owner); registering it again changes nothing. */
export async function registerToken(db: Db, tenantId: TenantId, kind: TokenKind, token: string): Promise<void> {
  await db.adminTransaction((tx) =>
    tx.query(
      `insert into api_tokens (tenant_id, kind, token_hash) values ($1, $2, $3) on conflict (token_hash) do nothing`,
      [tenantId, kind, hashToken(token)],
    ),
  );
}
