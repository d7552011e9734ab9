/**
 * The two calls of a claimed turn, each one statement in a transaction of its own, in the turn's
 * scope (row-level security applies throughout): `openTurn` (app.open_turn) reads the event and
 * its agent and opens or resumes the session with its context; `finishTurn` (app.finish_turn)
 * stores what the turn produced, and only while the claim still holds the queue row (else nothing).
 * The SQL lives in supabase/migrations/20261207040000_turn_calls.sql.
 */
import { z } from 'zod';
import { Agent, AgentId, ContactId, TenantId, type Memory, type Message, type Session, type TokenUsage } from '@switchboard/shared';
import { callScopeParams, type Db } from '../db/db';
import { batchEntries, createGroupCommit, groupCommitOptions } from '../db/group-commit';
import type { Scope } from '../db/scope';
import { MemoryRow } from '../memories/memory-repo';
import { MessageRow } from '../sessions/message-repo';
import { SessionRow } from '../sessions/session-repo';
import type { ClaimedTurn } from './turn-queue-repo';

/** What a turn reads of its event: the envelope stays in the database, where finishing reads it. */
export interface TurnEvent {
  id: string;
  agentId: AgentId;
  contactId: ContactId | null;
  senderContactId: ContactId | null;
  threadKey: string;
  text: string;
}

const TurnEventRow = z
  .object({
    id: z.uuid(), agent_id: AgentId, contact_id: ContactId.nullable(), sender_contact_id: ContactId.nullable(),
    thread_key: z.string(), text: z.string(),
  })
  .transform((r): TurnEvent => ({
    id: r.id, agentId: r.agent_id, contactId: r.contact_id, senderContactId: r.sender_contact_id, threadKey: r.thread_key, text: r.text,
  }));

const OpenedRow = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('skip') }),
  z.object({ kind: z.literal('refused'), event_contact_id: ContactId.nullable() }),
  z.object({ kind: z.literal('command'), event: TurnEventRow, agent: Agent }),
  z.object({
    kind: z.literal('agent'), event: TurnEventRow, agent: Agent, session: SessionRow, history: z.array(MessageRow),
    recalled: z.array(MemoryRow), fork_from: z.string().nullable(),
  }),
]);

export type OpenedTurn =
  | { kind: 'skip' }
  | { kind: 'refused'; eventContactId: ContactId | null }
  | { kind: 'command'; event: TurnEvent; agent: Agent }
  | { kind: 'agent'; event: TurnEvent; agent: Agent; session: Session; history: Message[]; recalled: Memory[]; forkFrom: string | null };

export interface OpenTurnOptions {
  /** A PostgreSQL regular expression for texts that open without a session (chat commands); null: none. */
  commandPattern: string | null;
  /** The agent config's defaults, for the keys an agent's config does not set. */
  defaults: { memory: string; reset: string };
  historyMessages: number;
  recalledMemories: number;
  recallQueryChars: number;
}

/**
 * Opens a claimed turn. `skip`: its event is no longer queued (or not this scope's); `refused`: the
 * queue row names another scope than its event. Both removed the queue row under the claim.
 */
export async function openTurn(db: Db, scope: Scope, claimed: ClaimedTurn, options: OpenTurnOptions): Promise<OpenedTurn> {
  const { rows } = await db.call<{ turn: unknown }>(
    scope,
    `select app.open_turn($1::uuid, $2::uuid, $3::boolean, $4::uuid, $5::uuid, $6::text, $7::text, $8::text,
       $9::int, $10::int, $11::int) as turn`,
    [claimed.eventId, claimed.claim, ...openArgs(options)],
  );
  return openedOf(rows[0]?.turn);
}

function openArgs(options: OpenTurnOptions): unknown[] {
  return [
    options.commandPattern, options.defaults.memory, options.defaults.reset, options.historyMessages, options.recalledMemories,
    options.recallQueryChars,
  ];
}

const ClaimOpenRow = z.object({
  tenant_id: TenantId, event_id: z.uuid(), contact_id: ContactId.nullable(), attempts: z.number().int(), turn: z.unknown(),
});

/**
 * Claims up to `limit` lane heads and opens each in its own scope, in one call
 * (app.claim_open_turns). A turn comes back with `opened` unless its open failed (the runner then
 * opens it alone and meets the error there) or it is past `maxAttempts` (it is not run again).
 */
export async function claimOpenTurns(
  db: Db, claim: string, limit: number, leaseMs: number, maxAttempts: number, options: OpenTurnOptions,
): Promise<ClaimedTurn[]> {
  const { rows } = await db.workerCall(
    `select tenant_id, event_id, contact_id, attempts, turn
     from app.claim_open_turns($1::uuid, $2::int, $3::int, $4::int, $5::text, $6::text, $7::text, $8::int, $9::int, $10::int)`,
    [claim, limit, leaseMs, maxAttempts, ...openArgs(options)],
  );
  return rows.map((row) => {
    const parsed = ClaimOpenRow.parse(row);
    const turn: ClaimedTurn = { tenantId: parsed.tenant_id, eventId: parsed.event_id, contactId: parsed.contact_id, attempts: parsed.attempts, claim };
    return parsed.turn == null ? turn : { ...turn, opened: openedOf(parsed.turn) };
  });
}

function openedOf(turn: unknown): OpenedTurn {
  const opened = OpenedRow.parse(turn);
  switch (opened.kind) {
    case 'refused':
      return { kind: 'refused', eventContactId: opened.event_contact_id };
    case 'agent':
      return {
        kind: 'agent', event: opened.event, agent: opened.agent, session: opened.session, history: opened.history,
        recalled: opened.recalled, forkFrom: opened.fork_from,
      };
    default:
      return opened;
  }
}

export interface TurnResult {
  status: 'done' | 'failed';
  /** The session the turn ran in; none for a chat command (no transcript is written then). */
  session: Session | null;
  replyText: string | null;
  error: string | null;
  usage: TokenUsage | null;
  /** The contacts whose memories the turn was shown: erasing one of them redacts the reply. */
  quotedContactIds: readonly ContactId[];
  /** The provider's session id after the turn; stored if the session still holds the one it opened with. */
  providerSessionId: string | null;
  /** The reply sent through the channel when the event is delivered; null: none. */
  outboxText: string | null;
}

const FinishedRow = z.discriminatedUnion('result', [
  z.object({ result: z.literal('finished'), lane_next: z.boolean() }),
  z.object({ result: z.literal('lost') }),
  z.object({ result: z.literal('refused'), event_contact_id: ContactId.nullable() }),
]);

/** `nextInLane`: another message of the turn's chat was queued behind it when it finished. */
export type FinishedTurn =
  | { result: 'finished'; nextInLane: boolean }
  | { result: 'lost' }
  | { result: 'refused'; eventContactId: ContactId | null };

/** Finishes a claimed turn, all or nothing: `lost` when the claim no longer holds it (nothing changed). */
export async function finishTurn(db: Db, scope: Scope, claimed: ClaimedTurn, turn: TurnResult): Promise<FinishedTurn> {
  const args = finishArgs(claimed, turn);
  const { rows } = await db.call<{ finished: unknown }>(
    scope,
    `select app.finish_turn($1::uuid, $2::uuid, $3::boolean, $4::uuid, $5::uuid, $6::text, $7::uuid, $8::text, $9::text,
       $10::jsonb, $11::uuid[], $12::text, $13::text, $14::text) as finished`,
    [...args.slice(0, 6), args[6] === null ? null : JSON.stringify(args[6]), ...args.slice(7)],
  );
  return finishedOf(rows[0]?.finished);
}

/** `app.finish_turn`'s arguments after the scope, in order (the usage as an object). */
function finishArgs(claimed: ClaimedTurn, turn: TurnResult): unknown[] {
  const expected = turn.session?.providerSessionId ?? null;
  const next = turn.session && turn.providerSessionId !== expected ? turn.providerSessionId : null;
  return [
    claimed.eventId, claimed.claim, turn.status, turn.session?.id ?? null, turn.replyText, turn.error,
    turn.usage ?? null, [...turn.quotedContactIds], expected, next, turn.outboxText,
  ];
}

function finishedOf(row: unknown): FinishedTurn {
  const finished = FinishedRow.parse(row);
  if (finished.result === 'refused') return { result: 'refused', eventContactId: finished.event_contact_id };
  return finished.result === 'finished' ? { result: 'finished', nextInLane: finished.lane_next } : finished;
}

interface FinishCall {
  scope: Scope;
  claimed: ClaimedTurn;
  turn: TurnResult;
}

/**
 * Finishes with group commit: turns that end while earlier finishes are in the database are stored
 * together by one `app.finish_turns` call, each in its own scope; one that ends at a quiet moment
 * goes alone at once.
 */
export function createFinishCalls(db: Db): (scope: Scope, claimed: ClaimedTurn, turn: TurnResult) => Promise<FinishedTurn> {
  const alone = (call: FinishCall) => finishTurn(db, call.scope, call.claimed, call.turn);
  const commit = createGroupCommit<FinishCall, FinishedTurn>(async (calls) => {
    if (calls.length === 1) return [await alone(calls[0] as FinishCall)];
    const batch = calls.map((call) => [...callScopeParams(call.scope), ...finishArgs(call.claimed, call.turn)]);
    const { rows } = await db.batchCall<{ entry: unknown }>('select entry from app.finish_turns($1::jsonb) entry', [JSON.stringify(batch)]);
    return batchEntries(calls, rows.map((row) => row.entry), finishedOf, alone);
  }, groupCommitOptions(db.engine));
  return (scope, claimed, turn) => commit({ scope, claimed, turn });
}
