/**
 * Bearer-token authentication. The token names its kind and tenant (owner or gateway of one
 * tenant, or the installation's admin of none); the scope of a request is minted from it here,
 * never taken from the request.
 */
import type { RequestHandler, Response } from 'express';
import { AppError } from '@switchboard/shared';
import type { Caller, TokenKind, TokenOwner } from '../auth/token-repo';
import { ownerScope, type Scope } from '../db/scope';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      caller?: Caller;
    }
  }
}

export type Authenticate = (token: string) => Promise<Caller | undefined>;

export function authMiddleware(authenticate: Authenticate): RequestHandler {
  return async (req, res, next) => {
    const match = /^Bearer ([\x21-\x7e]{1,512})$/i.exec(req.get('authorization') ?? '');
    if (!match?.[1]) throw new AppError('unauthorized', 'Missing or malformed bearer token');
    const caller = await authenticate(match[1]);
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

function authenticated(res: Response): Caller {
  const caller = res.locals.caller;
  if (!caller) throw new AppError('unauthorized', 'Not authenticated');
  return caller;
}

/** The tenant token of the request; the admin token belongs to no tenant and is refused. */
export function callerOf(res: Response): TokenOwner {
  const caller = authenticated(res);
  if (caller.kind === 'admin') throw new AppError('forbidden', 'The admin token manages tenants; use an owner token here');
  return caller;
}

/** The tenant owner's scope for an authenticated request. */
export function ownerScopeOf(res: Response): Scope {
  return ownerScope(callerOf(res).tenantId);
}
