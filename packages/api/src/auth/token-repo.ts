/**
 * Token lookup and registration. Tokens are stored as SHA-256 hashes; the lookup runs as sb_app
 * with `app.token_hash` set, so row-level security shows it at most the one row it already names.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { TenantId } from '@switchboard/shared';
import type { Db } from '../db/db';

export const TokenKind = z.enum(['owner', 'gateway', 'admin']);
export type TokenKind = z.infer<typeof TokenKind>;

/** A caller bound to one tenant: its owner, or the gateway once the request's account named the tenant. */
export interface TokenOwner {
  tenantId: TenantId;
  kind: 'owner' | 'gateway';
}

/**
 * Who a token speaks for: a tenant's owner; the installation's gateway (the tenant is the
 * receiving account's, found per request); or the installation's admin (manages tenants).
 */
export type Caller = { kind: 'owner'; tenantId: TenantId } | { kind: 'gateway' } | { kind: 'admin' };

const TokenRow = z.union([
  z.object({ tenant_id: TenantId, kind: z.literal('owner') }),
  z.object({ tenant_id: z.null(), kind: z.enum(['gateway', 'admin']) }),
]);

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export async function findTokenOwner(db: Db, token: string): Promise<Caller | undefined> {
  const hash = hashToken(token);
  const { rows } = await db.unscopedTransaction(async (tx) => {
    await tx.query(`select set_config('app.token_hash', $1, true)`, [hash]);
    return tx.query('select tenant_id, kind from api_tokens where token_hash = $1', [hash]);
  });
  if (rows[0] === undefined) return undefined;
  const row = TokenRow.parse(rows[0]);
  return row.kind === 'owner' ? { kind: 'owner', tenantId: row.tenant_id } : { kind: row.kind };
}

/**
 * Makes `token` the one token of this kind at start-up (schema owner): a tenant's owner token, or
 * with no tenant the installation's gateway or admin token. Registering it again changes nothing;
 * a token it replaces (an old file, a changed env var) stops working.
 */
export async function registerToken(db: Db, tenantId: TenantId | null, kind: TokenKind, token: string): Promise<void> {
  if ((kind === 'owner') !== (tenantId !== null)) throw new Error('An owner token belongs to a tenant; the gateway and admin tokens to the installation');
  const hash = hashToken(token);
  await db.adminTransaction(async (tx) => {
    await tx.query(
      `delete from api_tokens where tenant_id is not distinct from $1 and kind = $2 and token_hash <> $3`, [tenantId, kind, hash]);
    await tx.query(
      `insert into api_tokens (tenant_id, kind, token_hash) values ($1, $2, $3) on conflict (token_hash) do nothing`,
      [tenantId, kind, hash],
    );
  });
}

/**
 * Token lookups remembered for `ttlMs`: a request costs no database round trip for its token.
 * Requests that miss together share one lookup: when an entry runs out under load, every request
 * in flight would otherwise queue its own (on PGlite, one after another on the only connection).
 */
export function createCachedAuthenticate(db: Db, ttlMs: number) {
  const cache = new Map<string, { owner: Promise<Caller | undefined>; until: number }>();
  const lookUp = (token: string): Promise<Caller | undefined> => {
    const entry = { owner: findTokenOwner(db, token), until: Number.POSITIVE_INFINITY };
    if (cache.size > 10_000) cache.clear();
    cache.set(token, entry);
    entry.owner.then(
      () => { entry.until = Date.now() + ttlMs; },
      () => { if (cache.get(token) === entry) cache.delete(token); },
    );
    return entry.owner;
  };
  const authenticate = (token: string): Promise<Caller | undefined> => {
    const hit = cache.get(token);
    return hit && hit.until > Date.now() ? hit.owner : lookUp(token);
  };
  /** Forgets every remembered lookup (a tenant was erased: its tokens stop working at once here). */
  const forget = () => cache.clear();
  return Object.assign(authenticate, { forget });
}
