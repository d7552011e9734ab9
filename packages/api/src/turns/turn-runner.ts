/**
 * One claimed turn, in three steps: a transaction that reads the event and opens or resumes the
 * session with its context; the provider (or a chat command) with no transaction open; a
 * transaction that stores transcript, provider session id, event outcome and outbox row, and
 * deletes the queue row only if this claim still holds it (else everything rolls back: another
 * worker owns the turn now). Every step runs in the turn's scope: the contact's, or the owner's.
 * A queue row whose contact is not its event's is refused: removed, and its turn never run.
 */
import { AppError, type Agent, type ContactId, type Provider, type Session, type SessionId } from '@switchboard/shared';
import type { Db, ScopedTx } from '../db/db';
import { contactScope, ownerScope, type Scope } from '../db/scope';
import type { AgentProvider, ProviderReply, Turn } from '../agents/agent-provider';
import { turnConfigOf, type TurnConfig } from '../agents/agent-config';
import type { TurnGrants } from '../agents/turn-grants';
import { turnToolsFor } from '../agents/turn-tools';
import * as contactRepo from '../contacts/contact-repo';
import * as inboundRepo from '../inbound/inbound-repo';
import type { MemoryService } from '../memories/memory-service';
import * as memoryRepo from '../memories/memory-repo';
import * as outboxRepo from '../outbox/outbox-repo';
import * as messageRepo from '../sessions/message-repo';
import * as sessionContextRepo from '../sessions/session-context-repo';
import * as sessionRepo from '../sessions/session-repo';
import { parseChatCommand, type ChatCommand } from './chat-command';
import { createTurnQuotes, type TurnQuotes } from './turn-quotes';
import * as queueRepo from './turn-queue-repo';

const HISTORY_MESSAGES = 20;
const CONTEXT_MEMORIES = 5;
const RECALL_QUERY_CHARS = 500;
export const MAX_ATTEMPTS = 5;

/** What a finished turn produced; `status: failed` carries the error shown to the caller. */
export interface TurnOutcome {
  eventId: string;
  contactId: ContactId | null;
  status: 'done' | 'failed';
  sessionId: SessionId | null;
  replyText: string | null;
  error: string | null;
}

export class LeaseLostError extends Error {
  constructor(eventId: string) {
    super(`the claim on turn ${eventId} was lost to another worker`);
    this.name = 'LeaseLostError';
  }
}

/** The queue row names another scope than its event: the row is removed and the turn is not run. */
export class ClaimRefusedError extends Error {
  constructor(eventId: string, claimContact: ContactId | null, eventContact: ContactId | null) {
    super(`refused turn ${eventId}: its queue row names contact ${claimContact ?? 'owner'} but its event contact ` +
      `${eventContact ?? 'owner'}; the queue row was removed and the turn not run`);
    this.name = 'ClaimRefusedError';
  }
}

export interface TurnRunnerDeps {
  db: Db;
  memories: MemoryService;
  providers: Partial<Record<Provider, AgentProvider>>;
  grants: TurnGrants;
  /** The MCP endpoint agent CLIs reach the memory tools at; none, no MCP for CLI agents. */
  mcpUrl?: string;
  /** Where a turn streams its text so far, when someone watches it live. */
  textSink?: (eventId: string) => ((textSoFar: string) => void) | undefined;
}

/** A turn token outlives its turn's time limit by this much at most (it is revoked when the turn ends). */
const TOKEN_GRACE_MS = 60_000;

type Prepared =
  | { kind: 'skip' }
  | { kind: 'refused'; event: inboundRepo.InboundEvent }
  | { kind: 'command'; event: inboundRepo.InboundEvent; command: ChatCommand }
  | { kind: 'agent'; event: inboundRepo.InboundEvent; agent: Agent; config: TurnConfig; turn: Omit<Turn, 'tools' | 'mcp'> };

export function createTurnRunner(deps: TurnRunnerDeps) {
  const { db, memories, providers, grants } = deps;

  async function prepare(tx: ScopedTx, claimed: queueRepo.ClaimedTurn): Promise<Prepared> {
    const found = await inboundRepo.findQueuedEventWithAgent(tx, claimed.eventId);
    if (!found) return { kind: 'skip' };
    const { event, agent } = found;
    if (event.contactId !== claimed.contactId) return { kind: 'refused', event };
    const command = parseChatCommand(event.text);
    if (command) return { kind: 'command', event, command };
    const key = { agentId: agent.id, threadKey: event.threadKey };
    const config = turnConfigOf(agent);
    let { session, history } = await sessionContextRepo.openSessionWithHistory(tx, key, agent.provider, HISTORY_MESSAGES);
    if (session.provider !== agent.provider) {
      // The agent changed provider: another provider's session id means nothing to this one.
      await sessionRepo.closeSession(tx, key, event.contactId);
      ({ session, history } = await sessionContextRepo.openSessionWithHistory(tx, key, agent.provider, HISTORY_MESSAGES));
    }
    const forkFrom = config.reset === 'fork' && session.providerSessionId === null
      ? await sessionRepo.findLastClosedProviderSessionId(tx, key, agent.provider)
      : null;
    const query = event.text.slice(0, RECALL_QUERY_CHARS);
    const recalled = config.memory === 'off' ? [] : await memoryRepo.searchMemories(tx, query, { limit: CONTEXT_MEMORIES });
    return { kind: 'agent', event, agent, config, turn: { agent, session, text: event.text, history, memories: recalled, forkFrom } };
  }

  /** The provider's turn, with memory tools bound to a turn token that is revoked when the turn ends. */
  async function runAgent(scope: Scope, prepared: Extract<Prepared, { kind: 'agent' }>, signal: AbortSignal, quotes: TurnQuotes): Promise<ProviderReply> {
    const provider = providers[prepared.agent.provider];
    if (!provider) throw new AppError('upstream_failed', `Provider ${prepared.agent.provider} is not available`);
    const { config } = prepared;
    const run = { signal, onText: deps.textSink?.(prepared.event.id) };
    if (config.memory !== 'tools') return provider.run({ ...prepared.turn, tools: null, mcp: null }, run);
    const author = prepared.event.senderContactId !== prepared.event.contactId ? prepared.event.senderContactId : null;
    const { token, revoke } = grants.mint({ scope, authorContactId: author, eventId: prepared.event.id, onRecall: quotes.note }, config.timeoutMs + TOKEN_GRACE_MS);
    try {
      const tools = turnToolsFor(memories, grants, token);
      const mcp = deps.mcpUrl ? { url: deps.mcpUrl, token } : null;
      return await provider.run({ ...prepared.turn, tools, mcp }, run);
    } finally {
      revoke();
    }
  }

  async function runCommand(scope: Scope, event: inboundRepo.InboundEvent, command: ChatCommand): Promise<string> {
    return db.transaction(scope, async (tx) => {
      if (command === 'reset') {
        const closed = await sessionRepo.closeSession(tx, { agentId: event.agentId, threadKey: event.threadKey }, event.contactId);
        return closed ? 'Started a new session.' : 'No open session; the next message starts one.';
      }
      if (event.contactId === null) return 'You are the owner.';
      const contact = await contactRepo.findContact(tx, event.contactId);
      const identities = contact?.identities.map((i) => `${i.channel}:${i.externalId}`).join(', ') ?? '';
      const speaker = event.senderContactId !== event.contactId ? `; you are member ${event.senderContactId}` : '';
      return `${contact?.kind === 'group' ? 'This group is' : 'You are'} contact ${event.contactId} (${identities})${speaker}`;
    });
  }

  /** Runs a claimed turn to its end; throws LeaseLostError when another worker took it over. */
  async function run(claimed: queueRepo.ClaimedTurn, signal: AbortSignal): Promise<TurnOutcome | undefined> {
    const scope = scopeOfClaim(claimed);
    const prepared = await db.transaction(scope, (tx) => prepare(tx, claimed));
    if (prepared.kind === 'skip' || prepared.kind === 'refused') {
      await db.transaction(scope, (tx) => queueRepo.completeClaim(tx, claimed));
      if (prepared.kind === 'refused') throw new ClaimRefusedError(claimed.eventId, claimed.contactId, prepared.event.contactId);
      return undefined;
    }
    let reply: ProviderReply | undefined;
    let error: string | null = null;
    const quotes = createTurnQuotes(scope);
    if (prepared.kind === 'agent') quotes.note(prepared.turn.memories);
    try {
      reply = prepared.kind === 'command'
        ? { text: await runCommand(scope, prepared.event, prepared.command), providerSessionId: null }
        : await runAgent(scope, prepared, signal, quotes);
    } catch (failure) {
      if (signal.aborted) throw failure;
      error = failure instanceof Error ? failure.message : String(failure);
    }
    const session = prepared.kind === 'agent' ? prepared.turn.session : undefined;
    return db.transaction(scope, (tx) => finish(tx, claimed, prepared.event, session, reply, error, quotes.ids()));
  }

  return { run, failExhausted };

  /** A turn that kept crashing its worker: recorded as failed without running it again. */
  async function failExhausted(claimed: queueRepo.ClaimedTurn): Promise<TurnOutcome> {
    const scope = scopeOfClaim(claimed);
    const error = `gave up after ${MAX_ATTEMPTS} attempts`;
    const outcome = { status: 'failed' as const, sessionId: null, replyText: null, error };
    const finished = await db.transaction(scope, async (tx) => {
      const found = await inboundRepo.findQueuedEventWithAgent(tx, claimed.eventId);
      if (found && found.event.contactId !== claimed.contactId) {
        await queueRepo.completeClaim(tx, claimed);
        return new ClaimRefusedError(claimed.eventId, claimed.contactId, found.event.contactId);
      }
      return inboundRepo.finishClaimedEvent(tx, claimed.eventId, claimed.claim, outcome);
    });
    if (finished instanceof ClaimRefusedError) throw finished;
    if (!finished) throw new LeaseLostError(claimed.eventId);
    return { eventId: claimed.eventId, contactId: claimed.contactId, ...outcome };
  }
}

/** A turn runs in its event's scope: the contact's (a person or a group), or the owner's own. */
function scopeOfClaim(claimed: queueRepo.ClaimedTurn): Scope {
  return claimed.contactId ? contactScope(claimed.tenantId, claimed.contactId) : ownerScope(claimed.tenantId);
}

const FAILURE_NOTICE = 'Sorry, I could not answer that just now.';

async function finish(
  tx: ScopedTx,
  claimed: queueRepo.ClaimedTurn,
  event: inboundRepo.InboundEvent,
  session: Session | undefined,
  reply: ProviderReply | undefined,
  error: string | null,
  quoted: ContactId[],
): Promise<TurnOutcome> {
  const outcome: inboundRepo.EventOutcome = {
    status: reply ? 'done' : 'failed', sessionId: session?.id ?? null, replyText: reply?.text ?? null, error,
  };
  const finished = await inboundRepo.finishClaimedEvent(tx, event.id, claimed.claim, { ...outcome, replyQuotedContactIds: quoted });
  if (!finished) throw new LeaseLostError(claimed.eventId);
  if (session) await recordTranscript(tx, event, session, reply, quoted);
  if (event.deliver) {
    await outboxRepo.insertOutboxItem(tx, {
      eventId: event.id, contactId: event.contactId, channel: event.channel, accountKey: event.accountKey,
      chatId: event.chatId, threadKey: event.threadKey, replyTo: event.platformMessageId, text: outcome.replyText ?? FAILURE_NOTICE,
    });
  }
  return { eventId: event.id, contactId: event.contactId, ...outcome };
}

/** The inbound message and its reply in one statement; then the provider's session id, compare-and-set. */
async function recordTranscript(
  tx: ScopedTx, event: inboundRepo.InboundEvent, session: Session, reply: ProviderReply | undefined, quoted: ContactId[],
) {
  // The speaker's own contact (when merged into another) is on both lines: both carry its words.
  const address = { channel: event.channel, accountKey: event.accountKey, chatId: event.chatId, originContactId: event.originContactId ?? null };
  const inbound: messageRepo.NewMessage = {
    ...address, direction: 'inbound', platformMessageId: event.platformMessageId, senderContactId: event.senderContactId, text: event.text,
  };
  const answered = event.senderContactId !== event.contactId ? event.senderContactId : null;
  const outbound: messageRepo.NewMessage[] = reply
    ? [{ ...address, direction: 'outbound', answeredContactId: answered, quotedContactIds: quoted, text: reply.text, usage: reply.usage }]
    : [];
  await messageRepo.insertMessages(tx, session.id, [inbound, ...outbound]);
  if (reply?.providerSessionId != null && reply.providerSessionId !== session.providerSessionId) {
    // A reset since this turn began wins: the new id is then not stored on the closed session.
    await sessionRepo.swapProviderSessionId(tx, session.id, session.providerSessionId, reply.providerSessionId);
  }
}
