/**
 * SQL for the outbox: one reply per inbound event (a second write of the same event changes
 * nothing), claimed for delivery one at a time per chat in order (FIFO per chat, parallel across
 * chats; a parked reply no longer holds its chat back), and acked once sent.
 */
import { z } from 'zod';
import { Channel, ContactId, OutboxStatus, type OutboxItem } from '@switchboard/shared';
import type { ScopedTx } from '../db/db';
import { SqlParams, reachableRowsSql } from '../db/scope-sql';

export interface NewOutboxItem {
  eventId: string;
  contactId: ContactId | null;
  channel: Channel;
  accountKey: string;
  chatId: string;
  threadKey: string;
  replyTo: string | null;
  text: string;
}

const COLUMNS = `o.id, o.event_id, o.contact_id, o.channel, o.account_key, o.chat_id, o.thread_key, o.reply_to, o.text,
  o.status, o.attempts, o.last_error, o.created_at`;

const OutboxRow = z
  .object({
    id: z.uuid(),
    event_id: z.uuid(),
    contact_id: ContactId.nullable(),
    channel: Channel,
    account_key: z.string(),
    chat_id: z.string(),
    thread_key: z.string(),
    reply_to: z.string().nullable(),
    text: z.string(),
    status: OutboxStatus,
    attempts: z.number().int(),
    last_error: z.string().nullable(),
    created_at: z.coerce.date(),
  })
  .transform(
    (r): OutboxItem => ({
      id: r.id, eventId: r.event_id, contactId: r.contact_id, channel: r.channel, accountId: r.account_key,
      chatId: r.chat_id, threadId: r.thread_key === '' ? null : r.thread_key, replyTo: r.reply_to, text: r.text,
      status: r.status, attempts: r.attempts, lastError: r.last_error, createdAt: r.created_at,
    }),
  );

export async function insertOutboxItem(tx: ScopedTx, item: NewOutboxItem): Promise<void> {
  await tx.query(
    `insert into outbox (tenant_id, event_id, contact_id, channel, account_key, chat_id, thread_key, reply_to, text)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (event_id) do nothing`,
    [tx.scope.tenantId, item.eventId, item.contactId, item.channel, item.accountKey, item.chatId, item.threadKey, item.replyTo, item.text],
  );
}

export interface OutboxFilter {
  channel?: Channel | undefined;
  accountKey?: string | undefined;
  status: 'pending' | 'failed' | 'sent';
  limit: number;
}

export async function listOutbox(tx: ScopedTx, filter: OutboxFilter): Promise<OutboxItem[]> {
  const params = new SqlParams();
  let where = `${reachableRowsSql(tx.scope, params, 'o')} and o.status = ${params.add(filter.status)}`;
  if (filter.channel) where += ` and o.channel = ${params.add(filter.channel)}`;
  if (filter.accountKey) where += ` and o.account_key = ${params.add(filter.accountKey)}`;
  const { rows } = await tx.query(`select ${COLUMNS} from outbox o where ${where} order by o.seq limit ${params.add(filter.limit)}`, params.values);
  return rows.map((row) => OutboxRow.parse(row));
}

export async function findOutboxItem(tx: ScopedTx, id: string): Promise<OutboxItem | undefined> {
  const params = new SqlParams();
  const where = reachableRowsSql(tx.scope, params, 'o');
  const { rows } = await tx.query(`select ${COLUMNS} from outbox o where ${where} and o.id = ${params.add(id)}`, params.values);
  return rows[0] === undefined ? undefined : OutboxRow.parse(rows[0]);
}

/** Marks an item sent; acking a sent item again changes nothing. Undefined when not found. */
export async function ackOutboxItem(tx: ScopedTx, id: string): Promise<OutboxItem | undefined> {
  const params = new SqlParams();
  const where = reachableRowsSql(tx.scope, params, 'o');
  const { rows } = await tx.query(
    `update outbox o set status = 'sent', sent_at = coalesce(o.sent_at, now()), attempts = o.attempts + (o.status <> 'sent')::int,
       leased_until = null
     where ${where} and o.id = ${params.add(id)} returning ${COLUMNS}`,
    params.values,
  );
  return rows[0] === undefined ? undefined : OutboxRow.parse(rows[0]);
}

/**
 * Leases up to `limit` due replies of one account to the caller, oldest first: only the head of
 * each chat (no older reply of its chat, thread included, is pending), so a chat's replies go out
 * one after another, in order, also when an older one is leased to a process that died. The rows
 * are picked and locked once, in a materialized CTE, so the update leases exactly those.
 */
export async function claimOutbox(
  tx: ScopedTx,
  claim: { channel: Channel; accountKey: string; limit: number; leaseMs: number },
): Promise<OutboxItem[]> {
  const { rows } = await tx.query(
    `with picked as materialized (
       select d.id from outbox d
       where d.tenant_id = $1 and d.channel = $2 and d.account_key = $3 and d.status = 'pending'
         and d.next_attempt_at <= now() and (d.leased_until is null or d.leased_until < now())
         and not exists (
           select 1 from outbox e
           where e.tenant_id = d.tenant_id and e.channel = d.channel and e.account_key = d.account_key
             and e.chat_id = d.chat_id and e.thread_key = d.thread_key and e.status = 'pending' and e.seq < d.seq)
       order by d.seq limit $4
       for update of d skip locked
     )
     update outbox o set leased_until = now() + $5 * interval '1 millisecond'
     from picked where o.id = picked.id
     returning ${COLUMNS}, o.seq`,
    [tx.scope.tenantId, claim.channel, claim.accountKey, claim.limit, claim.leaseMs],
  );
  return rows
    .map((row) => ({ seq: Number((row as { seq: unknown }).seq), item: OutboxRow.parse(row) }))
    .sort((a, b) => a.seq - b.seq)
    .map((entry) => entry.item);
}

/**
 * A failed send: counted, and either due again after a backoff with jitter (2 s, 4 s, 8 s, … at
 * most 5 minutes) or parked as failed after the last attempt (at once when `permanent`).
 */
export async function failOutboxItem(
  tx: ScopedTx,
  id: string,
  failure: { error: string; permanent: boolean; maxAttempts: number },
): Promise<OutboxItem | undefined> {
  const params = new SqlParams();
  const where = reachableRowsSql(tx.scope, params, 'o');
  const { rows } = await tx.query(
    `update outbox o set attempts = o.attempts + 1, last_error = ${params.add(failure.error)}, leased_until = null,
       status = case when ${params.add(failure.permanent)} or o.attempts + 1 >= ${params.add(failure.maxAttempts)} then 'failed' else 'pending' end,
       next_attempt_at = now() + least(300, power(2, o.attempts + 1)) * (0.8 + random() * 0.4) * interval '1 second'
     where ${where} and o.id = ${params.add(id)} and o.status = 'pending' returning ${COLUMNS}`,
    params.values,
  );
  return rows[0] === undefined ? undefined : OutboxRow.parse(rows[0]);
}

/** Puts a parked reply back in line with fresh attempts. Undefined when no such failed item. */
export async function retryOutboxItem(tx: ScopedTx, id: string): Promise<OutboxItem | undefined> {
  const params = new SqlParams();
  const where = reachableRowsSql(tx.scope, params, 'o');
  const { rows } = await tx.query(
    `update outbox o set status = 'pending', attempts = 0, next_attempt_at = now(), leased_until = null
     where ${where} and o.id = ${params.add(id)} and o.status = 'failed' returning ${COLUMNS}`,
    params.values,
  );
  return rows[0] === undefined ? undefined : OutboxRow.parse(rows[0]);
}

export async function eraseOutbox(tx: ScopedTx, contactIds: ContactId[]): Promise<Record<string, number>> {
  const { rowCount } = await tx.query(`delete from outbox where tenant_id = $1 and contact_id = any($2)`, [tx.scope.tenantId, contactIds]);
  return { outbox: rowCount };
}
