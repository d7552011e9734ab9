/**
 * The inbound rate limits, taken inside the accept transaction. A message that would run takes a
 * token from its speaker's bucket (the one their direct messages use too) and, in a group, one from
 * the group's: the speaker's first, so a member past their limit no longer drains the group's, and
 * a group that is out gives the speaker's token back. New contacts take the tenant's tokens.
 */
import type { AgentPolicy, ContactId } from '@switchboard/shared';
import type { ScopedTx } from '../db/db';
import * as contactRepo from '../contacts/contact-repo';
import type { Decision } from './inbound-policy';
import * as repo from './inbound-repo';

/** The contacts whose buckets a message draws on: the chat's (a group, or the person) and its speaker's. */
export interface RateSubjects {
  contactId: ContactId | null;
  senderId: ContactId | null;
}

export async function applyRateLimits(tx: ScopedTx, who: RateSubjects, decision: Decision, policy: AgentPolicy): Promise<Decision> {
  if (decision.status !== 'queued' || who.contactId === null) return decision;
  const limited: Decision = { status: 'blocked', reason: 'rate_limited' };
  const speaker = who.senderId ?? who.contactId;
  if (!(await repo.takeRateToken(tx, speaker, policy.rateLimit))) return limited;
  if (speaker === who.contactId || (await repo.takeRateToken(tx, who.contactId, policy.rateLimit))) return decision;
  await repo.returnRateToken(tx, speaker, policy.rateLimit);
  return limited;
}

/** Whether the tenant may take `created` new contacts now (the agent's `newContactRate`). */
export async function hasNewContactRoom(tx: ScopedTx, created: number, policy: AgentPolicy): Promise<boolean> {
  return created === 0 || contactRepo.takeNewContactTokens(tx, created, policy.newContactRate);
}
