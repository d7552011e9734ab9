/**
 * Bearer-token authentication. The token names its tenant and kind (owner or gateway); the scope
 * of a request is minted from it here, never taken from the request.
 */
import type { Request, RequestHandler, Response } from 'express';
import { AppError } from '@switchboard/shared';
import type { TokenKind, TokenOwner } from '../auth/token-repo';
import { ownerScope, type Scope } from '../db/scope';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      caller?: TokenOwner;
    }
  }
}

export type Authenticate = (token: string) => Promise<TokenOwner | undefined>;

/** The request's bearer token, when it has a well-formed one. */
export function bearerTokenOf(req: Request): string | undefined {
  return /^Bearer ([\x21-\x7e]{1,512})$/i.exec(req.get('authorization') ?? '')?.[1];
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
    if (!kinds.includes(callerOf(res).kind)) throw new AppError('forbidden', 'This token may not use this route');
    next();
  };
}

export function callerOf(res: Response): TokenOwner {
  const caller = res.locals.caller;
  if (!caller) throw new AppError('unauthorized', 'Not authenticated');
  return caller;
}

/** The tenant owner's scope for an authenticated request. */
export function ownerScopeOf(res: Response): Scope {
  return ownerScope(callerOf(res).tenantId);
}
