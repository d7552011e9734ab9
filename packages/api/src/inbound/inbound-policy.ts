/**
 * Who gets an answer, decided before anything is queued: the owner's own chat always; a blocked
 * contact (or a blocked speaker in a group) never; a direct chat by the agent's DM policy; a group
 * only when the bot is addressed (mentioned, replied to, or a chat command) unless the agent
 * answers every group message. The rate limit is applied after this, to messages that would run.
 */
import type { AgentPolicy, ContactAccess } from '@switchboard/shared';

export type Decision =
  | { status: 'queued' }
  | { status: 'ignored'; reason: 'not_mentioned' }
  | { status: 'blocked'; reason: 'blocked' | 'not_allowed' | 'pairing_pending' | 'rate_limited' };

export type Speaker =
  | { kind: 'owner' }
  | { kind: 'direct'; access: ContactAccess }
  | { kind: 'group'; groupAccess: ContactAccess; senderAccess: ContactAccess; addressed: boolean };

export function decide(speaker: Speaker, policy: AgentPolicy): Decision {
  switch (speaker.kind) {
    case 'owner':
      return { status: 'queued' };
    case 'direct':
      return decideDirect(speaker.access, policy);
    case 'group':
      if (speaker.groupAccess === 'blocked' || speaker.senderAccess === 'blocked') return { status: 'blocked', reason: 'blocked' };
      if (!speaker.addressed && policy.groupReplies === 'mention') return { status: 'ignored', reason: 'not_mentioned' };
      return { status: 'queued' };
  }
}

function decideDirect(access: ContactAccess, policy: AgentPolicy): Decision {
  if (access === 'blocked') return { status: 'blocked', reason: 'blocked' };
  if (access === 'allowed' || policy.dmPolicy === 'open') return { status: 'queued' };
  return { status: 'blocked', reason: policy.dmPolicy === 'pairing' ? 'pairing_pending' : 'not_allowed' };
}
