/**
 * Usage per day: the replies written to transcripts (one per answered turn) and the tokens their
 * providers reported, per UTC day and contact, read in scope from the messages themselves.
 */
import { z } from 'zod';
import { ContactId, type SessionOwnerFilter, type UsageDay } from '@switchboard/shared';
import type { ScopedTx } from '../db/db';
import { SqlParams, reachableRowsSql } from '../db/scope-sql';

const UsageRow = z
  .object({
    day: z.string(),
    contact_id: ContactId.nullable(),
    turns: z.coerce.number<number>(),
    input_tokens: z.coerce.number<number>(),
    output_tokens: z.coerce.number<number>(),
  })
  .transform((row): UsageDay => ({
    day: row.day, contactId: row.contact_id, turns: row.turns, inputTokens: row.input_tokens, outputTokens: row.output_tokens,
  }));

/** The last `days` UTC days (today included), newest first, then the busiest contact first. */
export async function listUsage(tx: ScopedTx, query: { days: number; contact?: SessionOwnerFilter | undefined }): Promise<UsageDay[]> {
  const params = new SqlParams();
  const where = reachableRowsSql(tx.scope, params, 'm');
  const contact = query.contact === undefined ? '' : query.contact === 'owner' ? ' and m.contact_id is null' : ` and m.contact_id = ${params.add(query.contact)}`;
  const { rows } = await tx.query(
    `select to_char(m.created_at at time zone 'UTC', 'YYYY-MM-DD') as day, m.contact_id, count(*) as turns,
       coalesce(sum((m.usage ->> 'inputTokens')::bigint), 0) as input_tokens,
       coalesce(sum((m.usage ->> 'outputTokens')::bigint), 0) as output_tokens
     from messages m
     where ${where} and m.direction = 'outbound'${contact}
       and m.created_at >= (date_trunc('day', now() at time zone 'UTC') - (${params.add(query.days)}::int - 1) * interval '1 day') at time zone 'UTC'
     group by 1, 2
     order by 1 desc, 3 desc, 2 nulls first`,
    params.values,
  );
  return rows.map((row) => UsageRow.parse(row));
}
