/**
 * Turn tokens: a random bearer token minted for one turn's scope and revoked when the turn ends
 * (or, at the latest, when its time runs out). A turn's memory tools, in-process or over MCP, act
 * only through a live token, so nothing the agent does after its turn reaches the data.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ContactId, Memory } from '@switchboard/shared';
import type { Scope } from '../db/scope';

export interface TurnGrant {
  scope: Scope;
  /** In a group, the member whose message started the turn: the author of what it remembers. */
  authorContactId: ContactId | null;
  /** The inbound event the turn answers; a turn run again remembers nothing twice. */
  eventId: string | null;
  /** Told what a recall showed the turn (whose memories its reply may repeat). */
  onRecall?: (memories: readonly Memory[]) => void;
}

export interface TurnGrants {
  /** A fresh token for the grant, valid for `ttlMs` unless revoked first. */
  mint(grant: TurnGrant, ttlMs: number): { token: string; revoke(): void };
  /** The grant of a live token; undefined for unknown, revoked or expired tokens. */
  resolve(token: string): TurnGrant | undefined;
}

export function createTurnGrants(now: () => number = Date.now): TurnGrants {
  const live = new Map<string, TurnGrant & { expiresAt: number }>();
  const keyOf = (token: string) => createHash('sha256').update(token).digest('base64url');
  return {
    mint(grant, ttlMs) {
      const token = `sbt_${randomBytes(32).toString('base64url')}`;
      const key = keyOf(token);
      live.set(key, { ...grant, expiresAt: now() + ttlMs });
      return { token, revoke: () => live.delete(key) };
    },
    resolve(token) {
      const key = keyOf(token);
      const grant = live.get(key);
      if (!grant) return undefined;
      if (grant.expiresAt <= now()) {
        live.delete(key);
        return undefined;
      }
      return { scope: grant.scope, authorContactId: grant.authorContactId, eventId: grant.eventId, ...(grant.onRecall ? { onRecall: grant.onRecall } : {}) };
    },
  };
}
