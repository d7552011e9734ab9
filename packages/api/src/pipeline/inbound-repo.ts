/**
 * SQL for inbound events, their queue rows and per-contact rate buckets, past the accept (which is
 * one call of app.accept_message, inbound-accept-call): a turn reads its event and records the
 * outcome, and erasure removes what a contact left. An event is stored once per platform message id.
 */
import { z } from 'zod';
import { AgentId, Channel, ChatType, ContactId, REDACTED_REPLY, SessionId } from '@switchboard/shared';
import type { ScopedTx } from '../db/db';
import { SqlParams, reachableRowsSql } from '../db/scope-sql';

export const EventStatus = z.enum(['queued', 'done', 'failed', 'ignored', 'blocked']);
export type EventStatus = z.infer<typeof EventStatus>;

/** Where a message came from: the dedupe key and the address a reply goes back to. */
export interface Envelope {
  channel: Channel;
  accountKey: string;
  chatId: string;
  chatType: ChatType;
  threadKey: string;
  platformMessageId: string;
  /** Whether the reply is sent through the channel (an outbox row), or only returned to the caller. */
  deliver: boolean;
}

export interface NewEvent extends Envelope {
  agentId: AgentId;
  contactId: ContactId | null;
  senderContactId: ContactId | null;
  text: string;
  mentioned: boolean;
  status: EventStatus;
  reason: string | null;
  /** The speaker's own contact when it spoke while merged into another (its words are erased with it). */
  originContactId?: ContactId | null;
}

export interface InboundEvent extends NewEvent {
  id: string;
  sessionId: SessionId | null;
  replyText: string | null;
  error: string | null;
}

const EVENT_COLUMNS = `e.id, e.agent_id, e.contact_id, e.sender_contact_id, e.origin_contact_id, e.channel, e.account_key, e.chat_id, e.chat_type,
  e.thread_key, e.platform_message_id, e.deliver, e.text, e.mentioned, e.status, e.reason, e.session_id, e.reply_text, e.error`;

const EventRow = z
  .object({
    id: z.uuid(),
    agent_id: AgentId,
    contact_id: ContactId.nullable(),
    sender_contact_id: ContactId.nullable(),
    origin_contact_id: ContactId.nullable(),
    channel: Channel,
    account_key: z.string(),
    chat_id: z.string(),
    chat_type: ChatType,
    thread_key: z.string(),
    platform_message_id: z.string(),
    deliver: z.boolean(),
    text: z.string(),
    mentioned: z.boolean(),
    status: EventStatus,
    reason: z.string().nullable(),
    session_id: SessionId.nullable(),
    reply_text: z.string().nullable(),
    error: z.string().nullable(),
  })
  .transform(
    (r): InboundEvent => ({
      id: r.id, agentId: r.agent_id, contactId: r.contact_id, senderContactId: r.sender_contact_id, originContactId: r.origin_contact_id,
      channel: r.channel, accountKey: r.account_key, chatId: r.chat_id, chatType: r.chat_type,
      threadKey: r.thread_key, platformMessageId: r.platform_message_id, deliver: r.deliver, text: r.text, mentioned: r.mentioned,
      status: r.status, reason: r.reason, sessionId: r.session_id, replyText: r.reply_text, error: r.error,
    }),
  );

export async function findEvent(tx: ScopedTx, id: string): Promise<InboundEvent | undefined> {
  const params = new SqlParams();
  const where = reachableRowsSql(tx.scope, params, 'e');
  const { rows } = await tx.query(`select ${EVENT_COLUMNS} from inbound_events e where ${where} and e.id = ${params.add(id)}`, params.values);
  return rows[0] === undefined ? undefined : EventRow.parse(rows[0]);
}

/**
 * Erasure: refusals stored before the contacts existed (over the new-contact limit) carry no
 * contact, only the chat they came from; they are found through the contacts' identities.
 */
export async function eraseRefusedBeforeContact(tx: ScopedTx, contactIds: ContactId[]): Promise<number> {
  const { rowCount } = await tx.query(
    `delete from inbound_events e using contact_identities i
     where e.tenant_id = $1 and i.tenant_id = $1 and i.contact_id = any($2) and e.contact_id is null
       and e.reason = 'new_contact_rate' and e.channel = i.channel and e.chat_id = i.external_id`,
    [tx.scope.tenantId, contactIds],
  );
  return rowCount;
}

/**
 * Erasure: events the contacts were the scope or the speaker of (also while merged into another
 * contact), their queue rows and buckets; replies drawn from their memories are redacted.
 */
export async function eraseInbound(tx: ScopedTx, contactIds: ContactId[]): Promise<Record<string, number>> {
  const args = [tx.scope.tenantId, contactIds];
  const spoken = 'e.sender_contact_id = any($2) or e.origin_contact_id = any($2)';
  // Replies to what an erased speaker said carry their words: they go too.
  await tx.query(`delete from outbox o using inbound_events e where o.tenant_id = $1 and e.tenant_id = $1 and o.event_id = e.id and (${spoken})`, args);
  await tx.query(
    `delete from turn_queue q using inbound_events e
     where q.tenant_id = $1 and e.tenant_id = $1 and q.event_id = e.id and (e.contact_id = any($2) or ${spoken})`,
    args,
  );
  const events = await tx.query(`delete from inbound_events e where e.tenant_id = $1 and (e.contact_id = any($2) or ${spoken})`, args);
  await tx.query(`delete from rate_buckets where tenant_id = $1 and contact_id = any($2)`, args);
  const quoting = await tx.query(
    `update inbound_events set reply_text = $3, reply_quoted_contact_ids = '{}'
     where tenant_id = $1 and reply_quoted_contact_ids && $2::uuid[] and cardinality(reply_quoted_contact_ids) > 0
     returning id`,
    [...args, REDACTED_REPLY],
  );
  await tx.query(`update outbox set text = $3 where tenant_id = $1 and event_id = any($2::uuid[])`, [
    tx.scope.tenantId, quoting.rows.map((row) => row.id), REDACTED_REPLY,
  ]);
  return { inboundEvents: events.rowCount };
}
