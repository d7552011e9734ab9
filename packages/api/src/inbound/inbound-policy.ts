/**
 * Who gets an answer, decided before anything is queued: the owner's own chat always; a blocked
 * contact (or a blocked speaker in a group) never; a group only when the bot is addressed
 * (mentioned, replied to, or a chat command) unless the agent answers every group message; then a
 * direct chat, or the group itself (never its speaker), by the agent's policy (`allowlist` and
 * `pairing` hold in groups too). The rate limits are applied after this, to messages that would run.
 */
import type { AgentPolicy, ContactAccess } from '@switchboard/shared';

export type Decision =
  | { status: 'queued' }
  | { status: 'ignored'; reason: 'not_mentioned' }
  | { status: 'blocked'; reason: 'blocked' | 'not_allowed' | 'pairing_pending' | 'rate_limited' | 'new_contact_rate' };

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
      // Chatter that does not address the bot is only stored: no pairing code for every line of it.
      if (!speaker.addressed && policy.groupReplies === 'mention') return { status: 'ignored', reason: 'not_mentioned' };
      return decideByPolicy(speaker.groupAccess, policy);
  }
}

function decideDirect(access: ContactAccess, policy: AgentPolicy): Decision {
  if (access === 'blocked') return { status: 'blocked', reason: 'blocked' };
  return decideByPolicy(access, policy);
}

function decideByPolicy(access: ContactAccess, policy: AgentPolicy): Decision {
  if (access === 'allowed' || policy.dmPolicy === 'open') return { status: 'queued' };
  return { status: 'blocked', reason: policy.dmPolicy === 'pairing' ? 'pairing_pending' : 'not_allowed' };
}
