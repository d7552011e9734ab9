/**
 * SQL for transcript messages: read in scope, erased and redacted with a contact. A turn writes its
 * message and reply in app.finish_turn, with the scope contact of their session, and an inbound
 * message once per platform message id (per channel, account and chat).
 */
import { z } from 'zod';
import { Channel, ContactId, Direction, MessageId, REDACTED_REPLY, SessionId, TokenUsage, type Message, type MessagePage } from '@switchboard/shared';
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

/**
 * The session's last `limit` messages before the `before` cursor (a message's position; none: the
 * newest), oldest first, and the cursor of the page before them (null when they start the transcript).
 */
export async function pageMessages(tx: ScopedTx, sessionId: SessionId, page: { before?: string | undefined; limit: number }): Promise<MessagePage> {
  const params = new SqlParams();
  const where = reachableRowsSql(tx.scope, params, 'm');
  const before = page.before === undefined ? '' : ` and m.seq < ${params.add(page.before)}::bigint`;
  // One row more than asked tells whether an older page exists.
  const { rows } = await tx.query<{ seq: string }>(
    `select ${MESSAGE_COLUMNS}, m.seq::text as seq from messages m
     where ${where} and m.session_id = ${params.add(sessionId)}${before}
     order by m.seq desc limit ${params.add(page.limit + 1)}`,
    params.values,
  );
  const shown = rows.slice(0, page.limit).reverse();
  const older = rows.length > page.limit ? (shown[0]?.seq ?? null) : null;
  return { messages: shown.map((row) => MessageRow.parse(row)), older };
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
