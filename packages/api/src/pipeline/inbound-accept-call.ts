/**
 * The accept as one database call: `app.accept_message` (supabase/migrations/*_accept_call.sql)
 * finds the agent and its policy, resolves the sender, applies the limits and the policy, stores the
 * event (the dedupe) with its queue row and any pairing code, in one statement and transaction.
 * TS keeps what needs no rows: the input's shape, the envelope, whether the bot is addressed.
 */
import { z } from 'zod';
import { AgentPolicy, ContactId, ContactKind, InboundStatus } from '@switchboard/shared';
import { callScopeParams, type Db } from '../db/db';
import { batchEntries, createGroupCommit, groupCommitOptions } from '../db/group-commit';
import type { Scope } from '../db/scope';
import type { Envelope } from './inbound-repo';

export interface AcceptInput extends Envelope {
  /** The gateway posts for the receiving account, whose agent answers; the owner names the agent. */
  fromGateway: boolean;
  agentName: string | null;
  /** Null: the owner's own chat. */
  sender: { id: string; displayName: string | null } | null;
  /** A group chat's title, which names the group contact; null when none was given. */
  chatTitle: string | null;
  text: string;
  mentioned: boolean;
  /** Mentioned, replied to, or a chat command: a group answers only then (unless it answers all). */
  addressed: boolean;
}

/** The defaults SQL fills into an agent's policy: AgentPolicy's own, so they are written once. */
export const POLICY_DEFAULTS = JSON.stringify(AgentPolicy.parse({}));

const Accepted = z.object({
  eventId: z.uuid(),
  contactId: ContactId.nullable(),
  status: InboundStatus,
  reason: z.string().nullish(),
  reply: z.string().nullish(),
});

export const AcceptOutcome = z.union([
  Accepted.extend({ refused: z.undefined().optional() }),
  z.object({ refused: z.literal('no_agent') }),
  z.object({ refused: z.literal('no_account') }),
  z.object({ refused: z.literal('other_agent'), agent: z.string() }),
  z.object({ refused: z.literal('kind_conflict'), identity: z.string(), kind: ContactKind, wanted: ContactKind }),
]);
export type AcceptOutcome = z.infer<typeof AcceptOutcome>;

const ACCEPT_SQL = `select app.accept_message($1::uuid, $2::uuid, $3::boolean, $4::boolean, $5::text, $6::text, $7::text,
  $8::text, $9::text, $10::text, $11::text, $12::boolean, $13::text, $14::text, $15::text, $16::boolean, $17::boolean,
  $18::jsonb, $19::text) as accepted`;

/** `app.accept_message`'s arguments after the scope, in order. */
function acceptArgs(input: AcceptInput): unknown[] {
  return [
    input.fromGateway, input.agentName, input.channel, input.accountKey, input.chatId, input.chatType, input.threadKey,
    input.platformMessageId, input.deliver, input.sender?.id ?? null, input.sender?.displayName ?? null, input.text,
    input.mentioned, input.addressed, POLICY_DEFAULTS, input.chatTitle,
  ];
}

/** Accepts the message in `scope` (the tenant's owner scope): one statement, one round trip. */
export async function acceptMessage(db: Db, scope: Scope, input: AcceptInput): Promise<AcceptOutcome> {
  const { rows } = await db.call<{ accepted: unknown }>(scope, ACCEPT_SQL, acceptArgs(input));
  return AcceptOutcome.parse(rows[0]?.accepted);
}

interface AcceptCall {
  scope: Scope;
  input: AcceptInput;
}

/**
 * Accepts with group commit: messages that arrive while earlier accepts are in the database go
 * together as one `app.accept_messages` call; one that arrives at a quiet moment goes alone at once.
 */
export function createAcceptCalls(db: Db): (scope: Scope, input: AcceptInput) => Promise<AcceptOutcome> {
  const alone = (call: AcceptCall) => acceptMessage(db, call.scope, call.input);
  const commit = createGroupCommit<AcceptCall, AcceptOutcome>(async (calls) => {
    if (calls.length === 1) return [await alone(calls[0] as AcceptCall)];
    const batch = calls.map((call) => [...callScopeParams(call.scope), ...acceptArgs(call.input)]);
    const { rows } = await db.batchCall<{ entry: unknown }>('select entry from app.accept_messages($1::jsonb) entry', [JSON.stringify(batch)]);
    return batchEntries(calls, rows.map((row) => row.entry), (ok) => AcceptOutcome.parse(ok), alone);
  }, groupCommitOptions(db.engine));
  return (scope, input) => commit({ scope, input });
}
