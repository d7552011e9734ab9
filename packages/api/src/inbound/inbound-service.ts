/**
 * The inbound pipeline's first half, one transaction per message: resolve the sender (or the group
 * and its speaker) → policy → rate limit → store the event, deduplicated on the platform's message
 * id, and when it will run, its queue row (a stored copy rolls it all back). The tenant is the
 * caller's (the receiving side), never the sender's. Turns run later; `wake` tells the worker.
 */
import { AppError, type AgentPolicy, type ContactId, type InboundAccepted, type InboundMessage, type TenantId } from '@switchboard/shared';
import type { Db, ScopedTx } from '../db/db';
import { ownerScope } from '../db/scope';
import type { TokenOwner } from '../auth/token-repo';
import type { AgentService } from '../agents/agent-service';
import type { ContactEraser } from '../contacts/contact-service';
import * as contactRepo from '../contacts/contact-repo';
import * as outboxRepo from '../outbox/outbox-repo';
import * as pairingRepo from '../pairing/pairing-repo';
import { parseChatCommand } from '../turns/chat-command';
import { decide, type Decision, type Speaker } from './inbound-policy';
import * as repo from './inbound-repo';

/** The chat id of the owner's own chat (channel `cli`, no sender). */
export const OWNER_CHAT_ID = 'owner';

export type InboundService = ReturnType<typeof createInboundService>;

export function createInboundService(deps: { db: Db; agents: AgentService; wake: () => void }) {
  const { db, agents, wake } = deps;

  return {
    async accept(caller: TokenOwner, message: InboundMessage): Promise<InboundAccepted> {
      if (message.sender === undefined && caller.kind !== 'owner') {
        throw new AppError('forbidden', "Only the owner token may speak in the owner's own chat");
      }
      const scope = ownerScope(caller.tenantId);
      const { agent, policy } = await agents.findForTurn(scope, message.agent ?? 'default');
      const envelope = envelopeOf(message);
      // No read first: the event's insert is the dedupe. A copy already stored makes it insert
      // nothing; everything this transaction did (contacts, a rate token) is then rolled back.
      const accepted = await db.transaction(scope, async (tx): Promise<InboundAccepted> => {
        const who = await resolveSpeaker(tx, message);
        const decision = await applyRateLimit(tx, who.contactId, decide(who.speaker, policy), policy);
        const lane = decision.status === 'queued' ? laneOf(caller, agent.id, who.contactId, envelope.threadKey) : null;
        const reason = decision.status === 'queued' ? null : decision.reason;
        const eventId = await repo.insertEvent(
          tx,
          { ...envelope, agentId: agent.id, contactId: who.contactId, senderContactId: who.senderId, text: message.text,
            mentioned: message.mentioned ?? false, status: decision.status, reason },
          lane,
        );
        if (eventId === undefined) throw new AlreadyStored();
        const reply = decision.status === 'blocked' && decision.reason === 'pairing_pending' && who.contactId
          ? await pairingReply(tx, who.contactId, eventId, envelope)
          : undefined;
        return { eventId, contactId: who.contactId, status: decision.status, ...(reason ? { reason } : {}), ...(reply ? { reply } : {}) };
      }).catch(async (error: unknown) => {
        if (!(error instanceof AlreadyStored)) throw error;
        const first = await db.transaction(scope, (tx) => repo.findEventByKey(tx, envelope));
        if (!first) throw new Error('an inbound event vanished while deduplicating', { cause: error });
        return duplicateOf(first);
      });
      if (accepted.status === 'queued') wake();
      return accepted;
    },

    /** An event of the tenant (the owner's view), e.g. to see whether its turn finished. */
    findEvent(tenantId: TenantId, eventId: string): Promise<repo.InboundEvent | undefined> {
      return db.transaction(ownerScope(tenantId), (tx) => repo.findEvent(tx, eventId));
    },

    eraseContact: ((tx: ScopedTx, contactIds: ContactId[]) => repo.eraseInbound(tx, contactIds)) satisfies ContactEraser,
  };
}

/** The message is stored already: its accept rolls back, and the answer is `duplicate` of the stored event. */
class AlreadyStored extends Error {}

function envelopeOf(message: InboundMessage): repo.Envelope {
  const chat = message.chat ?? (message.sender ? { id: message.sender.id, type: 'direct' as const } : undefined);
  return {
    channel: message.channel,
    accountKey: message.accountId ?? 'default',
    chatId: chat?.id ?? OWNER_CHAT_ID,
    chatType: chat?.type ?? 'direct',
    threadKey: message.thread?.id ?? '',
    platformMessageId: message.messageId,
    deliver: message.channel !== 'cli' && (message.deliver ?? true),
  };
}

interface ResolvedSpeaker {
  contactId: ContactId | null;
  senderId: ContactId | null;
  speaker: Speaker;
}

async function resolveSpeaker(tx: ScopedTx, message: InboundMessage): Promise<ResolvedSpeaker> {
  const { sender, chat, channel } = message;
  if (!sender) return { contactId: null, senderId: null, speaker: { kind: 'owner' } };
  const person = await contactRepo.resolveIdentity(tx, { channel, externalId: sender.id, displayName: sender.displayName, kind: 'person' });
  if (chat?.type !== 'group') {
    return { contactId: person.contactId, senderId: person.contactId, speaker: { kind: 'direct', access: person.access } };
  }
  const group = await contactRepo.resolveIdentity(tx, { channel, externalId: chat.id, kind: 'group' });
  await contactRepo.linkGroupMember(tx, group.contactId, person.contactId);
  const addressed = (message.mentioned ?? false) || parseChatCommand(message.text) !== undefined;
  return {
    contactId: group.contactId,
    senderId: person.contactId,
    speaker: { kind: 'group', groupAccess: group.access, senderAccess: person.access, addressed },
  };
}

async function applyRateLimit(tx: ScopedTx, contactId: ContactId | null, decision: Decision, policy: AgentPolicy): Promise<Decision> {
  if (decision.status !== 'queued' || contactId === null) return decision;
  return (await repo.takeRateToken(tx, contactId, policy.rateLimit)) ? decision : { status: 'blocked', reason: 'rate_limited' };
}

/** The sender's pairing code; sent (once, with the first message) through the outbox as well. */
async function pairingReply(tx: ScopedTx, contactId: ContactId, eventId: string, envelope: repo.Envelope) {
  const pairing = await pairingRepo.findOrCreatePairing(tx, contactId);
  const text = `This agent needs the owner's approval first. Your pairing code is ${pairing.code}.`;
  if (pairing.created && envelope.deliver) {
    await outboxRepo.insertOutboxItem(tx, {
      eventId, contactId, channel: envelope.channel, accountKey: envelope.accountKey, chatId: envelope.chatId,
      threadKey: envelope.threadKey, replyTo: envelope.platformMessageId, text,
    });
  }
  return { text };
}

function duplicateOf(event: repo.InboundEvent): InboundAccepted {
  return { eventId: event.id, contactId: event.contactId, status: 'duplicate' };
}

/** FIFO within a lane, parallel across lanes: one lane per tenant, agent, contact (or owner) and thread. */
function laneOf(caller: TokenOwner, agentId: string, contactId: ContactId | null, threadKey: string): string {
  return `${caller.tenantId}/${agentId}/${contactId ?? 'owner'}/${threadKey}`;
}
