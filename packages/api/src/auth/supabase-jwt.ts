/**
 * Verifies Supabase Auth access tokens locally, as `auth.getClaims` does: the signature against the
 * project's JSON Web Key Set (fetched once and cached; fetched again, at most every 30 s, when a
 * token names a key it lacks), or a legacy project's HS256 secret; then issuer, audience `authenticated`
 * and expiry. jose is loaded only here, when Supabase Auth is configured. No token is ever logged.
 */
import { z } from 'zod';
import { AppError } from '@switchboard/shared';
import type { SupabaseConfig } from '../config';

/** Who a verified token speaks for. */
export interface SupabaseClaims {
  userId: string;
  /** The account's address, lowercased; none for phone and anonymous users. */
  email: string | undefined;
}

/** The claims of a valid token, or why it was refused (safe to show: it names no secret). */
export type SupabaseVerdict = { claims: SupabaseClaims } | { refused: string };
export type VerifySupabaseToken = (token: string) => Promise<SupabaseVerdict>;

const Claims = z.object({ sub: z.uuid(), email: z.string().optional(), is_anonymous: z.boolean().optional() });

/** Three base64url parts: what a JWT looks like (our own tokens have no dots). */
export function isJwtShaped(token: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);
}

export async function createSupabaseJwtVerifier(config: SupabaseConfig): Promise<VerifySupabaseToken> {
  const jose = await import('jose');
  const issuer = `${config.url}/auth/v1`;
  const jwksUrl = `${issuer}/.well-known/jwks.json`;
  const keys = jose.createRemoteJWKSet(new URL(jwksUrl));
  const secret = config.jwtSecret === undefined ? undefined : new TextEncoder().encode(config.jwtSecret);
  const expected = { issuer, audience: 'authenticated' };
  const verify = (token: string) => {
    if (secret && jose.decodeProtectedHeader(token).alg === 'HS256') return jose.jwtVerify(token, secret, { ...expected, algorithms: ['HS256'] });
    return jose.jwtVerify(token, keys, { ...expected, algorithms: ['ES256', 'RS256'] });
  };
  return async (token) => {
    try {
      const claims = Claims.safeParse((await verify(token)).payload);
      if (!claims.success) return { refused: 'its subject is not a Supabase user id' };
      const email = claims.data.is_anonymous ? undefined : claims.data.email?.toLowerCase() || undefined;
      return { claims: { userId: claims.data.sub, email } };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (isUnreachable(error, code)) throw new AppError('upstream_failed', `Could not read the Supabase Auth keys at ${jwksUrl}`, { cause: error });
      if (typeof code === 'string' && code.startsWith('ERR_J')) return { refused: refusalOf(code, error) };
      throw error;
    }
  };
}

/** The key set could not be fetched: the Auth server is down or answers nonsense, not the caller's fault. */
function isUnreachable(error: unknown, code: unknown): boolean {
  if (code === 'ERR_JWKS_TIMEOUT' || code === 'ERR_JWKS_INVALID' || code === 'ERR_JOSE_GENERIC') return true;
  // By name: fetch's TypeError may come from another realm.
  return (error as Error | undefined)?.name === 'TypeError' && (error as Error).message === 'fetch failed';
}

function refusalOf(code: string, error: unknown): string {
  if (code === 'ERR_JWT_EXPIRED') return 'it has expired';
  if (code === 'ERR_JWKS_NO_MATCHING_KEY') return 'its key id is not among the project\'s keys';
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return 'its signature does not verify';
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') return `its ${String((error as { claim?: unknown }).claim)} claim is not this project's`;
  if (code === 'ERR_JOSE_ALG_NOT_ALLOWED') return 'its algorithm is not accepted';
  return 'it is not a well-formed JWT';
}
