/**
 * Supabase Auth users as tenant owners. A bearer token shaped like a JWT is verified locally
 * (supabase-jwt.ts); its user's tenant comes from tenant_members (remembered for `ttlMs`). An address
 * waiting to own a tenant is bound at its first sign-in, once the Auth server confirms the address
 * (the one round trip to it). A valid token whose user owns no tenant → 403; any other token goes to
 * the installation's own tokens.
 */
import { z } from 'zod';
import { AppError, type TenantId } from '@switchboard/shared';
import type { SupabaseConfig } from '../config';
import type { Caller } from './token-repo';
import { isJwtShaped, createSupabaseJwtVerifier, type SupabaseClaims } from './supabase-jwt';

/** tenant_members, as the tenants component offers it. */
export interface MemberLookups {
  findMemberTenant(userId: string): Promise<TenantId | undefined>;
  hasPendingMember(email: string): Promise<boolean>;
  bindPendingMember(userId: string, email: string): Promise<TenantId | undefined>;
}

export type ForgettingAuthenticate = ((token: string) => Promise<Caller | undefined>) & { forget(): void };

export interface SupabaseAuthenticateDeps {
  config: SupabaseConfig;
  members: MemberLookups;
  /** The installation's own tokens (owner, gateway, admin). */
  tokens: ForgettingAuthenticate;
  ttlMs: number;
}

export async function createSupabaseAuthenticate(deps: SupabaseAuthenticateDeps): Promise<ForgettingAuthenticate> {
  const { config, members, tokens, ttlMs } = deps;
  const verify = await createSupabaseJwtVerifier(config);
  const cache = new Map<string, { tenantId: TenantId | undefined; until: number }>();

  const tenantOf = async (token: string, claims: SupabaseClaims): Promise<TenantId | undefined> => {
    const hit = cache.get(claims.userId);
    if (hit && hit.until > Date.now()) return hit.tenantId;
    const tenantId = (await members.findMemberTenant(claims.userId)) ?? (await bindAtFirstSignIn(config, members, token, claims));
    if (cache.size > 10_000) cache.clear();
    cache.set(claims.userId, { tenantId, until: Date.now() + ttlMs });
    return tenantId;
  };

  const authenticate = async (token: string): Promise<Caller | undefined> => {
    if (!isJwtShaped(token)) return tokens(token);
    const verdict = await verify(token);
    if ('refused' in verdict) {
      // A configured token of ours may happen to look like a JWT.
      const caller = await tokens(token);
      if (caller) return caller;
      throw new AppError('unauthorized', `Supabase access token refused: ${verdict.refused}`);
    }
    const tenantId = await tenantOf(token, verdict.claims);
    if (!tenantId) throw new AppError('forbidden', `Supabase user ${verdict.claims.userId} owns no tenant here`);
    return { kind: 'owner', tenantId };
  };
  const forget = () => {
    cache.clear();
    tokens.forget();
  };
  return Object.assign(authenticate, { forget });
}

/** Binds the user to the tenant waiting for its address, if the Auth server says the address is confirmed. */
async function bindAtFirstSignIn(config: SupabaseConfig, members: MemberLookups, token: string, claims: SupabaseClaims): Promise<TenantId | undefined> {
  const { email } = claims;
  if (!email || !(await members.hasPendingMember(email))) return undefined;
  if (!(await isConfirmedAddress(config, token, claims.userId, email))) return undefined;
  return members.bindPendingMember(claims.userId, email);
}

const AuthUser = z.object({ id: z.string(), email: z.string().optional(), email_confirmed_at: z.string().nullable().optional() });

/**
 * Asks the Auth server for the token's user (`GET /auth/v1/user`, what supabase-js's `auth.getUser`
 * calls): the JWT does not say whether its address is confirmed, and `user_metadata` is the user's to edit.
 */
async function isConfirmedAddress(config: SupabaseConfig, token: string, userId: string, email: string): Promise<boolean> {
  const url = `${config.url}/auth/v1/user`;
  const response = await fetch(url, { headers: { apikey: config.anonKey, authorization: `Bearer ${token}` } })
    .catch((error: unknown) => { throw new AppError('upstream_failed', `Supabase Auth did not answer ${url}`, { cause: error }); });
  if (response.status === 401 || response.status === 403) return false;
  const user = response.ok ? AuthUser.safeParse(await response.json().catch(() => undefined)) : undefined;
  if (!user?.success) throw new AppError('upstream_failed', `Supabase Auth answered ${url} with ${response.status}`);
  return user.data.id === userId && user.data.email?.toLowerCase() === email && Boolean(user.data.email_confirmed_at);
}
