/**
 * SQL for transcript messages. A message takes its scope contact from its session, and an inbound
 * message is stored once per platform message id (per channel and chat).
 */
import { z } from 'zod';
import { Channel, ContactId, Direction, MessageId, REDACTED_REPLY, SessionId, TokenUsage, type Message } from '@switchboard/shared';
import type { ScopedTx } from '../db/db';
import { SqlParams, reachableRowsSql } from '../db/scope-sql';

export const MESSAGE_COLUMNS = `m.id, m.session_id, m.contact_id, m.sender_contact_id, m.direction, m.channel, m.account_key, m.chat_id,
  m.platform_message_id, m.text, m.usage, m.created_at`;

export const MessageRow = z
  .object({
    id: MessageId,
    session_id: SessionId,
    contact_id: ContactId.nullable(),
    sender_contact_id: ContactId.nullable(),
    direction: Direction,
    channel: Channel,
    account_key: z.string(),
    chat_id: z.string(),
    platform_message_id: z.string().nullable(),
    text: z.string(),
    usage: TokenUsage.nullable(),
    created_at: z.coerce.date(),
  })
  .transform(
    (row): Message => ({
      id: row.id,
      sessionId: row.session_id,
      contactId: row.contact_id,
      senderContactId: row.sender_contact_id,
      direction: row.direction,
      channel: row.channel,
      accountKey: row.account_key,
      chatId: row.chat_id,
      platformMessageId: row.platform_message_id,
      text: row.text,
      usage: row.usage,
      createdAt: row.created_at,
    }),
  );

export interface NewMessage {
  direction: Direction;
  channel: Channel;
  /** The receiving channel account (bot); default `default`. */
  accountKey?: string | undefined;
  chatId: string;
  platformMessageId?: string | undefined;
  senderContactId?: ContactId | null | undefined;
  /** For a reply: the speaker it answers (a group member), erased with that speaker. */
  answeredContactId?: ContactId | null | undefined;
  /** The speaker's own contact when it spoke while merged into another (on a reply: the answered message's). */
  originContactId?: ContactId | null | undefined;
  /** For a reply: the contacts whose memories its turn was shown; erasing one of them redacts it. */
  quotedContactIds?: readonly ContactId[] | undefined;
  text: string;
  usage?: TokenUsage | null | undefined;
}

/** Appends to a session in scope; undefined when that platform message was already stored. */
export async function insertMessage(tx: ScopedTx, sessionId: SessionId, message: NewMessage): Promise<Message | undefined> {
  const [stored] = await insertMessages(tx, sessionId, [message]);
  return stored;
}

/**
 * Appends several messages to a session in one statement, in the given order (a turn's inbound
 * message and its reply); messages already stored (same platform id) are skipped.
 */
export async function insertMessages(tx: ScopedTx, sessionId: SessionId, batch: NewMessage[]): Promise<Message[]> {
  const params = new SqlParams();
  const where = reachableRowsSql(tx.scope, params, 's');
  const rows = batch.map((message, index) => {
    const values = [
      index, message.senderContactId ?? null, message.answeredContactId ?? null, message.direction, message.channel,
      message.accountKey ?? 'default', message.chatId, message.platformMessageId ?? null, message.text,
      message.usage ? JSON.stringify(message.usage) : null, message.originContactId ?? null, [...(message.quotedContactIds ?? [])],
    ].map((value) => params.add(value));
    return `(${values[0]}::int, ${values[1]}::uuid, ${values[2]}::uuid, ${values.slice(3, 9).map((v) => `${v}::text`).join(', ')}, ` +
      `${values[9]}::jsonb, ${values[10]}::uuid, ${values[11]}::uuid[])`;
  });
  const { rows: stored } = await tx.query(
    `insert into messages as m (tenant_id, session_id, contact_id, sender_contact_id, answered_contact_id, direction,
       channel, account_key, chat_id, platform_message_id, text, usage, origin_contact_id, quoted_contact_ids)
     select s.tenant_id, s.id, s.contact_id, v.sender, v.answered, v.direction, v.channel, v.account_key, v.chat_id,
       v.platform_message_id, v.text, v.usage, v.origin, v.quoted
     from sessions s
     cross join (values ${rows.join(', ')})
       as v (ord, sender, answered, direction, channel, account_key, chat_id, platform_message_id, text, usage, origin, quoted)
     where ${where} and s.id = ${params.add(sessionId)}
     order by v.ord
     on conflict (tenant_id, channel, account_key, chat_id, direction, platform_message_id) do nothing
     returning ${MESSAGE_COLUMNS}`,
    params.values,
  );
  return stored.map((row) => MessageRow.parse(row));
}

/** The session's last `limit` messages, oldest first. */
export async function listMessages(tx: ScopedTx, sessionId: SessionId, limit: number): Promise<Message[]> {
  const params = new SqlParams();
  const where = reachableRowsSql(tx.scope, params, 'm');
  const { rows } = await tx.query(
    `select * from (
       select ${MESSAGE_COLUMNS}, m.seq from messages m
       where ${where} and m.session_id = ${params.add(sessionId)}
       order by m.seq desc limit ${params.add(limit)}
     ) m order by m.seq`,
    params.values,
  );
  return rows.map((row) => MessageRow.parse(row));
}

/**
 * Deletes what the contacts said anywhere (groups included, and while merged into another contact),
 * the replies to it, and every message of their sessions.
 */
export async function eraseMessages(tx: ScopedTx, contactIds: ContactId[]): Promise<number> {
  const { rowCount } = await tx.query(
    `delete from messages
     where tenant_id = $1 and (contact_id = any($2) or sender_contact_id = any($2) or answered_contact_id = any($2)
       or origin_contact_id = any($2))`,
    [tx.scope.tenantId, contactIds],
  );
  return rowCount;
}

/** Replaces the text of the replies whose turns were shown the contacts' memories; returns how many. */
export async function redactQuotingMessages(tx: ScopedTx, contactIds: ContactId[]): Promise<number> {
  const { rowCount } = await tx.query(
    `update messages set text = $3, quoted_contact_ids = '{}'
     where tenant_id = $1 and quoted_contact_ids && $2::uuid[] and cardinality(quoted_contact_ids) > 0`,
    [tx.scope.tenantId, contactIds, REDACTED_REPLY],
  );
  return rowCount;
}
