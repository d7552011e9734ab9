/**
 * The inbound pipeline's first half: accepting a message is one database call (inbound-accept-call)
 * that resolves the sender (or the group and its speaker), applies the new-contact limit, the policy
 * and the rate limits, and stores the event, deduplicated on the platform's message id, with its
 * queue row when it will run (a stored copy undoes it all; a new contact over the tenant's limit
 * stores only its refusal, without any contact). The tenant is the caller's (the receiving side).
 * Turns run later; `wake` tells the worker.
 */
import { AppError, notFound, type ContactId, type InboundAccepted, type InboundMessage, type TenantId } from '@switchboard/shared';
import type { Db, ScopedTx } from '../db/db';
import { ownerScope } from '../db/scope';
import type { TokenOwner } from '../auth/token-repo';
import type { ContactEraser } from '../contacts/contact-service';
import { parseChatCommand } from './chat-command';
import { createAcceptCalls, type AcceptInput, type AcceptOutcome } from './inbound-accept-call';
import { accountRefusalError, checkGatewayPost } from './inbound-gateway';
import * as repo from './inbound-repo';

/** The chat id of the owner's own chat (channel `cli`, no sender). */
export const OWNER_CHAT_ID = 'owner';

export type InboundService = ReturnType<typeof createInboundService>;

export function createInboundService(deps: { db: Db; wake: () => void }) {
  const { db, wake } = deps;
  const accept = createAcceptCalls(db);

  return {
    /** `wait`: the caller waits for the turn (`?wait=true`), which the gateway token may not. */
    async accept(caller: TokenOwner, message: InboundMessage, options: { wait?: boolean } = {}): Promise<InboundAccepted> {
      if (message.sender === undefined && caller.kind !== 'owner') {
        throw new AppError('forbidden', "Only the owner token may speak in the owner's own chat");
      }
      const fromGateway = caller.kind === 'gateway';
      if (fromGateway) checkGatewayPost(message, { wait: options.wait ?? false });
      const input = acceptInputOf(message, fromGateway);
      const accepted = answerOf(message, input, await accept(ownerScope(caller.tenantId), input));
      // The owner's tools show the pairing code; the gateway's copy goes out through the outbox, once.
      if (accepted.reply && caller.kind !== 'owner') delete accepted.reply;
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

function acceptInputOf(message: InboundMessage, fromGateway: boolean): AcceptInput {
  const { sender } = message;
  const mentioned = message.mentioned ?? false;
  return {
    ...envelopeOf(message),
    fromGateway,
    agentName: fromGateway ? message.agent ?? null : message.agent ?? 'default',
    sender: sender ? { id: sender.id, displayName: sender.displayName ?? null } : null,
    chatTitle: message.chat?.title ?? null,
    text: message.text,
    mentioned,
    addressed: mentioned || parseChatCommand(message.text) !== undefined,
  };
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

/** The call's answer as the API's, or the AppError of a message the call refused to store. */
function answerOf(message: InboundMessage, input: AcceptInput, outcome: AcceptOutcome): InboundAccepted {
  switch (outcome.refused) {
    case undefined: {
      const { eventId, contactId, status, reason, reply } = outcome;
      return { eventId, contactId, status, ...(reason ? { reason } : {}), ...(reply ? { reply: { text: reply } } : {}) };
    }
    case 'no_agent':
      throw notFound('Agent', input.agentName ?? 'default');
    case 'no_account':
    case 'other_agent':
      throw accountRefusalError(message, outcome);
    case 'kind_conflict':
      // A group id never speaks as a person, nor the reverse; the call stored nothing.
      throw new AppError('conflict', `${outcome.identity} is a ${outcome.kind}, not a ${outcome.wanted}`);
  }
}
