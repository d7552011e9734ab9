/**
 * The inbound pipeline's first half, one transaction per message: resolve the sender (or the group
 * and its speaker) → new-contact limit → policy → rate limits → store the event, deduplicated on the
 * platform's message id, and when it will run, its queue row (a stored copy rolls it all back; so
 * does a new contact over the tenant's limit, whose refusal is then stored without any contact).
 * The tenant is the caller's (the receiving side). Turns run later; `wake` tells the worker.
 */
import { AppError, type ContactId, type InboundAccepted, type InboundMessage, type TenantId } from '@switchboard/shared';
import type { Db, ScopedTx } from '../db/db';
import { ownerScope, type Scope } from '../db/scope';
import type { TokenOwner } from '../auth/token-repo';
import type { AgentService } from '../agents/agent-service';
import type { ContactEraser } from '../contacts/contact-service';
import * as contactRepo from '../contacts/contact-repo';
import * as outboxRepo from '../outbox/outbox-repo';
import * as pairingRepo from '../pairing/pairing-repo';
import { parseChatCommand } from '../turns/chat-command';
import { gatewayAgentOf, type FindAccountAgent } from './inbound-gateway';
import { applyRateLimits, hasNewContactRoom } from './inbound-limits';
import { decide, type Speaker } from './inbound-policy';
import * as repo from './inbound-repo';

/** The chat id of the owner's own chat (channel `cli`, no sender). */
export const OWNER_CHAT_ID = 'owner';

export type InboundService = ReturnType<typeof createInboundService>;

export function createInboundService(deps: { db: Db; agents: AgentService; findAccountAgent: FindAccountAgent; wake: () => void }) {
  const { db, agents, findAccountAgent, wake } = deps;

  return {
    /** `wait`: the caller waits for the turn (`?wait=true`), which the gateway token may not. */
    async accept(caller: TokenOwner, message: InboundMessage, options: { wait?: boolean } = {}): Promise<InboundAccepted> {
      if (message.sender === undefined && caller.kind !== 'owner') {
        throw new AppError('forbidden', "Only the owner token may speak in the owner's own chat");
      }
      const scope = ownerScope(caller.tenantId);
      const agentName = caller.kind === 'gateway'
        ? await gatewayAgentOf(findAccountAgent, scope, message, { wait: options.wait ?? false })
        : message.agent ?? 'default';
      const { agent, policy } = await agents.findForTurn(scope, agentName);
      const envelope = envelopeOf(message);
      const base = { ...envelope, agentId: agent.id, text: message.text, mentioned: message.mentioned ?? false };
      // No read first: the event's insert is the dedupe. A copy already stored makes it insert
      // nothing; everything this transaction did (contacts, a rate token) is then rolled back.
      const accepted = await db.transaction(scope, async (tx): Promise<InboundAccepted> => {
        const who = await resolveSpeaker(tx, message);
        if (!(await hasNewContactRoom(tx, who.created, policy))) throw new NewContactRefused();
        const decision = await applyRateLimits(tx, who, decide(who.speaker, policy), policy);
        const lane = decision.status === 'queued' ? laneOf(caller, agent.id, who.contactId, envelope.threadKey) : null;
        const reason = decision.status === 'queued' ? null : decision.reason;
        const eventId = await repo.insertEvent(tx, { ...base, contactId: who.contactId, senderContactId: who.senderId, originContactId: who.originId ?? null, status: decision.status, reason }, lane);
        if (eventId === undefined) throw new AlreadyStored();
        const reply = decision.status === 'blocked' && decision.reason === 'pairing_pending' && who.contactId
          ? await pairingReply(tx, who.contactId, eventId, envelope)
          : undefined;
        // The owner's tools show the code; the gateway's copy goes out through the outbox, once.
        const shown = reply && caller.kind === 'owner' ? { reply } : {};
        return { eventId, contactId: who.contactId, status: decision.status, ...(reason ? { reason } : {}), ...shown };
      }).catch(async (error: unknown) => {
        if (error instanceof NewContactRefused) return refuseNewContact(db, scope, { ...base, contactId: null, senderContactId: null, status: 'blocked', reason: 'new_contact_rate' });
        if (!(error instanceof AlreadyStored)) throw error;
        return duplicateOfStored(db, scope, envelope, error);
      });
      if (accepted.status === 'queued') wake();
      return accepted;
    },

    /** An event of the tenant (the owner's view), e.g. to see whether its turn finished. */
    findEvent(tenantId: TenantId, eventId: string): Promise<repo.InboundEvent | undefined> {
      return db.transaction(ownerScope(tenantId), (tx) => repo.findEvent(tx, eventId));
    },

    eraseContact: (async (tx: ScopedTx, contactIds: ContactId[]) => {
      const refused = await repo.eraseRefusedBeforeContact(tx, contactIds);
      const erased = await repo.eraseInbound(tx, contactIds);
      return { ...erased, inboundEvents: (erased.inboundEvents ?? 0) + refused };
    }) satisfies ContactEraser,
  };
}

/** The message is stored already: its accept rolls back, and the answer is `duplicate` of the stored event. */
class AlreadyStored extends Error {}

/** A new contact over the tenant's limit: the accept rolls back (no contact, no identity) and only the refusal is stored. */
class NewContactRefused extends Error {}

async function duplicateOfStored(db: Db, scope: Scope, envelope: repo.Envelope, cause: unknown): Promise<InboundAccepted> {
  const first = await db.transaction(scope, (tx) => repo.findEventByKey(tx, envelope));
  if (!first) throw new Error('an inbound event vanished while deduplicating', { cause });
  return duplicateOf(first);
}

async function refuseNewContact(db: Db, scope: Scope, event: repo.NewEvent): Promise<InboundAccepted> {
  const eventId = await db.transaction(scope, (tx) => repo.insertEvent(tx, event, null));
  if (eventId === undefined) return duplicateOfStored(db, scope, event, new AlreadyStored());
  return { eventId, contactId: null, status: 'blocked', reason: 'new_contact_rate' };
}

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
  /** The speaker's own contact when it is merged into `senderId` (erased with it). */
  originId?: ContactId | null;
  speaker: Speaker;
  /** How many contacts this message created (the person, the group). */
  created: number;
}

async function resolveSpeaker(tx: ScopedTx, message: InboundMessage): Promise<ResolvedSpeaker> {
  const { sender, chat, channel } = message;
  if (!sender) return { contactId: null, senderId: null, speaker: { kind: 'owner' }, created: 0 };
  const person = await contactRepo.resolveIdentity(tx, { channel, externalId: sender.id, displayName: sender.displayName, kind: 'person' });
  const originId = person.ownContactId === person.contactId ? null : person.ownContactId;
  if (chat?.type !== 'group') {
    return { contactId: person.contactId, senderId: person.contactId, originId, speaker: { kind: 'direct', access: person.access }, created: Number(person.created) };
  }
  const group = await contactRepo.resolveIdentity(tx, { channel, externalId: chat.id, kind: 'group' });
  await contactRepo.linkGroupMember(tx, group.contactId, person.contactId);
  const addressed = (message.mentioned ?? false) || parseChatCommand(message.text) !== undefined;
  return {
    contactId: group.contactId,
    senderId: person.contactId,
    originId,
    speaker: { kind: 'group', groupAccess: group.access, senderAccess: person.access, addressed },
    created: Number(person.created) + Number(group.created),
  };
}

/** The sender's (or group's) pairing code; sent through the outbox once, with the first message. */
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
