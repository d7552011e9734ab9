/**
 * One claimed turn, in three steps: its opening (the event, its agent, the session opened or
 * resumed with its recent transcript and the memories recalled for the message), which the claim
 * brings along (`claim`: one call claims and opens) or one call of its own makes; the
 * provider (or a chat command) with no transaction open; one call that finishes it (transcript,
 * provider session id, event outcome, outbox row), which changes nothing unless this claim still
 * holds the queue row (else another worker owns the turn now). Both run in the turn's scope: the
 * contact's, or the owner's. A queue row whose contact is not its event's is refused: removed, and
 * its turn never run. Every finished turn is logged once (ids, provider, status, duration; its texts
 * as content) and counted in the metrics.
 */
import { AppError, toStorableText, type ContactId, type Provider, type SessionId } from '@switchboard/shared';
import type { Db } from '../db/db';
import { contactScope, ownerScope, type Scope } from '../db/scope';
import type { AgentProvider, ProviderReply } from '../agents/agent-provider';
import { TURN_CONFIG_DEFAULTS, turnConfigOf } from '../agents/agent-config';
import type { TurnGrants } from '../agents/turn-grants';
import { turnToolsFor } from '../agents/turn-tools';
import { findContactIn } from '../contacts/contact-service';
import type { MemoryService } from '../memories/memory-service';
import type { Log } from '../ops/ops-log';
import type { Metrics } from '../ops/ops-metrics';
import { closeSessionIn } from '../sessions/session-service';
import { CHAT_COMMAND_PREFILTER, parseChatCommand, type ChatCommand } from './chat-command';
import { claimOpenTurns, createFinishCalls, openTurn, type OpenTurnOptions, type OpenedTurn, type TurnEvent, type TurnResult } from './turn-call-repo';
import { createTurnQuotes, type TurnQuotes } from './turn-quotes';
import type { ClaimedTurn } from './turn-queue-repo';

export const MAX_ATTEMPTS = 5;

const OPEN_OPTIONS: OpenTurnOptions = {
  commandPattern: CHAT_COMMAND_PREFILTER,
  defaults: { memory: TURN_CONFIG_DEFAULTS.memory, reset: TURN_CONFIG_DEFAULTS.reset },
  historyMessages: 20,
  recalledMemories: 5,
  recallQueryChars: 500,
};

const FAILURE_NOTICE = 'Sorry, I could not answer that just now.';

/** What a finished turn produced; `status: failed` carries the error shown to the caller. */
export interface TurnOutcome {
  eventId: string;
  contactId: ContactId | null;
  status: 'done' | 'failed';
  sessionId: SessionId | null;
  replyText: string | null;
  error: string | null;
}

/** A finished turn as the worker sees it: `nextInLane`, its chat had another message queued behind it. */
export interface FinishedRun {
  outcome: TurnOutcome;
  nextInLane: boolean;
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
  log?: Log;
  metrics?: Pick<Metrics, 'turns' | 'turnSeconds'>;
}

/** What a finished turn is logged and counted with: `command` for a chat command, `none` when it did not run. */
type TurnProvider = Provider | 'command' | 'none';

/** A turn token outlives its turn's time limit by this much at most (it is revoked when the turn ends). */
const TOKEN_GRACE_MS = 60_000;

type AgentTurn = Extract<OpenedTurn, { kind: 'agent' }>;
type Prepared = Exclude<OpenedTurn, { kind: 'command' | 'agent' }> | { kind: 'command'; event: TurnEvent; command: ChatCommand } | AgentTurn;

export function createTurnRunner(deps: TurnRunnerDeps) {
  const { db, memories, providers, grants } = deps;
  const finishCalls = createFinishCalls(db);

  /** Opens the turn; a chat command is decided here (the SQL pattern only spares it a session). */
  async function open(scope: Scope, claimed: ClaimedTurn, commandPattern: string | null = CHAT_COMMAND_PREFILTER): Promise<Prepared> {
    const opened = commandPattern === OPEN_OPTIONS.commandPattern && claimed.opened
      ? claimed.opened
      : await openTurn(db, scope, claimed, { ...OPEN_OPTIONS, commandPattern });
    if (opened.kind === 'skip' || opened.kind === 'refused') return opened;
    const command = parseChatCommand(opened.event.text);
    if (command) return { kind: 'command', event: opened.event, command };
    if (opened.kind === 'agent') return opened;
    // The pattern is loose: a text it took for a command that is none opens again, as an agent turn.
    if (commandPattern === null) throw new Error(`turn ${claimed.eventId} opened as a chat command without a command pattern`);
    return open(scope, claimed, null);
  }

  /** The provider's turn, with memory tools bound to a turn token that is revoked when the turn ends. */
  async function runAgent(scope: Scope, opened: AgentTurn, signal: AbortSignal, quotes: TurnQuotes): Promise<ProviderReply> {
    const { agent, event } = opened;
    const provider = providers[agent.provider];
    if (!provider) throw new AppError('upstream_failed', `Provider ${agent.provider} is not available`);
    const config = turnConfigOf(agent);
    const turn = {
      tenantId: scope.tenantId, agent, session: opened.session, text: event.text, history: opened.history, memories: opened.recalled, forkFrom: opened.forkFrom,
    };
    const run = { signal, onText: deps.textSink?.(event.id) };
    if (config.memory !== 'tools') return provider.run({ ...turn, tools: null, mcp: null }, run);
    const author = event.senderContactId !== event.contactId ? event.senderContactId : null;
    const { token, revoke } = grants.mint({ scope, authorContactId: author, eventId: event.id, onRecall: quotes.note }, config.timeoutMs + TOKEN_GRACE_MS);
    try {
      const tools = turnToolsFor(memories, grants, token);
      const mcp = deps.mcpUrl ? { url: deps.mcpUrl, token } : null;
      return await provider.run({ ...turn, tools, mcp }, run);
    } finally {
      revoke();
    }
  }

  async function runCommand(scope: Scope, event: TurnEvent, command: ChatCommand): Promise<string> {
    return db.transaction(scope, async (tx) => {
      if (command === 'reset') {
        const closed = await closeSessionIn(tx, { agentId: event.agentId, threadKey: event.threadKey }, event.contactId);
        return closed ? 'Started a new session.' : 'No open session; the next message starts one.';
      }
      if (event.contactId === null) return 'You are the owner.';
      const contact = await findContactIn(tx, event.contactId);
      const identities = contact?.identities.map((i) => `${i.channel}:${i.externalId}`).join(', ') ?? '';
      const speaker = event.senderContactId !== event.contactId ? `; you are member ${event.senderContactId}` : '';
      return `${contact?.kind === 'group' ? 'This group is' : 'You are'} contact ${event.contactId} (${identities})${speaker}`;
    });
  }

  /** Stores the turn's result in one call; throws LeaseLostError (nothing stored) when the claim was lost. */
  async function finish(scope: Scope, claimed: ClaimedTurn, result: TurnResult): Promise<FinishedRun> {
    const finished = await finishCalls(scope, claimed, result);
    if (finished.result === 'lost') throw new LeaseLostError(claimed.eventId);
    if (finished.result === 'refused') throw new ClaimRefusedError(claimed.eventId, claimed.contactId, finished.eventContactId);
    const { status, replyText, error } = result;
    const outcome = { eventId: claimed.eventId, contactId: claimed.contactId, status, sessionId: result.session?.id ?? null, replyText, error };
    return { outcome, nextInLane: finished.nextInLane };
  }

  /** One log line and the metrics of a finished turn. The texts go in content fields (logged only when asked). */
  function report(claimed: ClaimedTurn, outcome: TurnOutcome, provider: TurnProvider, text: string | null, startedAt: number): void {
    const seconds = (performance.now() - startedAt) / 1000;
    deps.metrics?.turns.inc({ status: outcome.status, provider });
    deps.metrics?.turnSeconds.observe({ status: outcome.status, provider }, seconds);
    const { eventId, contactId, sessionId, status, replyText, error } = outcome;
    deps.log?.[status === 'done' ? 'info' : 'warn']({
      tenantId: claimed.tenantId, contactId, sessionId, eventId, provider, status, attempt: claimed.attempts,
      durationMs: Math.round(seconds * 1000), text, reply: replyText, error,
    }, 'turn finished');
  }

  /** Runs a claimed turn to its end; throws LeaseLostError when another worker took it over. */
  async function run(claimed: ClaimedTurn, signal: AbortSignal): Promise<FinishedRun | undefined> {
    const startedAt = performance.now();
    const ran = await runClaimed(claimed, signal);
    if (ran) report(claimed, ran.finished.outcome, ran.provider, ran.text, startedAt);
    return ran?.finished;
  }

  async function runClaimed(claimed: ClaimedTurn, signal: AbortSignal): Promise<{ finished: FinishedRun; provider: TurnProvider; text: string } | undefined> {
    const scope = scopeOfClaim(claimed);
    const prepared = await open(scope, claimed);
    if (prepared.kind === 'skip') return undefined;
    if (prepared.kind === 'refused') throw new ClaimRefusedError(claimed.eventId, claimed.contactId, prepared.eventContactId);
    const quotes = createTurnQuotes(scope);
    if (prepared.kind === 'agent') quotes.note(prepared.recalled);
    let reply: ProviderReply | undefined;
    let error: string | null = null;
    try {
      reply = prepared.kind === 'command'
        ? { text: await runCommand(scope, prepared.event, prepared.command), providerSessionId: null }
        : await runAgent(scope, prepared, signal, quotes);
    } catch (failure) {
      if (signal.aborted) throw failure;
      error = toStorableText(failure instanceof Error ? failure.message : String(failure));
    }
    // What the agent or its CLI produced may hold bytes a text column refuses (NUL, lone surrogates):
    // stored and sent with U+FFFD instead, the turn finishes, and its batch's other turns with it.
    const replyText = reply ? toStorableText(reply.text) : null;
    const providerSessionId = reply?.providerSessionId == null ? null : toStorableText(reply.providerSessionId);
    const finished = await finish(scope, claimed, {
      status: reply ? 'done' : 'failed', session: prepared.kind === 'agent' ? prepared.session : null, replyText, error,
      usage: reply?.usage ?? null, quotedContactIds: quotes.ids(), providerSessionId, outboxText: replyText ?? FAILURE_NOTICE,
    });
    return { finished, provider: prepared.kind === 'agent' ? prepared.agent.provider : 'command', text: prepared.event.text };
  }

  /** A turn that kept crashing its worker: recorded as failed without running it again (and without a reply). */
  async function failExhausted(claimed: ClaimedTurn): Promise<FinishedRun> {
    const startedAt = performance.now();
    const error = `gave up after ${MAX_ATTEMPTS} attempts`;
    const finished = await finish(scopeOfClaim(claimed), claimed, {
      status: 'failed', session: null, replyText: null, error, usage: null, quotedContactIds: [], providerSessionId: null, outboxText: null,
    });
    report(claimed, finished.outcome, 'none', null, startedAt);
    return finished;
  }

  /** Claims up to `limit` lane heads as the worker and opens them, in one call. */
  function claim(token: string, limit: number, leaseMs: number): Promise<ClaimedTurn[]> {
    return claimOpenTurns(db, token, limit, leaseMs, MAX_ATTEMPTS, OPEN_OPTIONS);
  }

  return { claim, run, failExhausted };
}

/** A turn runs in its event's scope: the contact's (a person or a group), or the owner's own. */
function scopeOfClaim(claimed: ClaimedTurn): Scope {
  return claimed.contactId ? contactScope(claimed.tenantId, claimed.contactId) : ownerScope(claimed.tenantId);
}
