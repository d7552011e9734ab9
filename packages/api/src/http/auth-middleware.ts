/**
 * Bearer-token authentication. The token names its kind: a tenant's owner (its token, or a Supabase
 * Auth user linked to it), or the installation's gateway or admin. The scope of a request is minted here, never taken from the request: the
 * owner's tenant is its token's; the gateway's is the tenant of the channel account its request
 * names (`inAccountTenant`), looked up on the installation.
 */
import type { Request, RequestHandler, Response } from 'express';
import { AppError, notFound, type TenantId } from '@switchboard/shared';
import type { Caller, TokenKind, TokenOwner } from '../auth/token-repo';
import { ownerScope, type Scope } from '../db/scope';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      caller?: Caller;
      /** The gateway's request, once its channel account named the tenant. */
      gatewayTenant?: TenantId;
    }
  }
}

export type Authenticate = (token: string) => Promise<Caller | undefined>;

/** The request's bearer token, when it has a well-formed one (a Supabase access token may run to a few KB). */
export function bearerTokenOf(req: Request): string | undefined {
  return /^Bearer ([\x21-\x7e]{1,4096})$/i.exec(req.get('authorization') ?? '')?.[1];
}

export function authMiddleware(authenticate: Authenticate): RequestHandler {
  return async (req, res, next) => {
    const token = bearerTokenOf(req);
    if (!token) throw new AppError('unauthorized', 'Missing or malformed bearer token');
    const caller = await authenticate(token);
    if (!caller) throw new AppError('unauthorized', 'Unknown token');
    res.locals.caller = caller;
    next();
  };
}

/** Lets only the given token kinds through. */
export function allow(...kinds: TokenKind[]): RequestHandler {
  return (_req, res, next) => {
    if (!kinds.includes(authenticated(res).kind)) throw new AppError('forbidden', 'This token may not use this route');
    next();
  };
}

/** The kind of the request's token. */
export function callerKind(res: Response): Caller['kind'] {
  return authenticated(res).kind;
}

function authenticated(res: Response): Caller {
  const caller = res.locals.caller;
  if (!caller) throw new AppError('unauthorized', 'Not authenticated');
  return caller;
}

/** The request's caller in its tenant; the admin token belongs to no tenant and is refused. */
export function callerOf(res: Response): TokenOwner {
  const caller = authenticated(res);
  if (caller.kind === 'admin') throw new AppError('forbidden', 'The admin token manages tenants; use an owner token here');
  if (caller.kind === 'owner') return caller;
  const tenantId = res.locals.gatewayTenant;
  // A route the gateway may use names the account before it touches a tenant; reaching here without one is a bug.
  if (!tenantId) throw new Error('a gateway request reached a tenant before naming its channel account');
  return { kind: 'gateway', tenantId };
}

/** The tenant of a channel account on the installation (unique per channel and account id). */
export type FindAccountTenant = (channel: string, accountId: string) => Promise<TenantId | undefined>;

/**
 * For the gateway token: makes the tenant of the named channel account the request's (404 when no
 * tenant has that account). The owner speaks in its own tenant whatever account it names.
 */
export type InAccountTenant = (res: Response, channel: string, accountId: string) => Promise<void>;

export function inAccountTenantOf(find: FindAccountTenant): InAccountTenant {
  return async (res, channel, accountId) => {
    if (authenticated(res).kind !== 'gateway') return;
    const tenantId = await find(channel, accountId);
    if (!tenantId) throw notFound('Channel account', `${channel}:${accountId}`);
    res.locals.gatewayTenant = tenantId;
  };
}

/** The tenant owner's scope for an authenticated request. */
export function ownerScopeOf(res: Response): Scope {
  return ownerScope(callerOf(res).tenantId);
}
