/**
 * The session side of a turn in one statement: open or resume the scope's session for the key
 * (the same upsert as session-repo) and read its most recent messages, oldest first.
 */
import { z } from 'zod';
import type { Message, Provider, Session } from '@switchboard/shared';
import type { ScopedTx } from '../db/db';
import { scopeContactId } from '../db/scope';
import { MESSAGE_COLUMNS, MessageRow } from './message-repo';
import { SESSION_COLUMNS, SessionRow, type SessionKey } from './session-repo';

const ContextRow = z.object({ session: SessionRow, history: z.array(MessageRow) });

export async function openSessionWithHistory(
  tx: ScopedTx,
  key: SessionKey,
  provider: Provider,
  historyLimit: number,
): Promise<{ session: Session; history: Message[] }> {
  const { rows } = await tx.query(
    `with s as (
       insert into sessions as s (tenant_id, agent_id, contact_id, thread_key, provider)
       values ($1, $2, $3, $4, $5)
       on conflict (tenant_id, agent_id, contact_id, thread_key) where status = 'open'
         do update set updated_at = now()
       returning ${SESSION_COLUMNS}
     ), recent as (
       -- A lateral index lookup by session: a plan cached before the tables had statistics stays cheap.
       select m.* from s cross join lateral (
         select ${MESSAGE_COLUMNS}, m.seq from messages m
         where m.tenant_id = $1 and m.session_id = s.id
         order by m.seq desc limit $6
       ) m
     )
     select (select row_to_json(s) from s) as session,
       (select coalesce(json_agg(recent order by recent.seq), '[]'::json) from recent) as history`,
    [tx.scope.tenantId, key.agentId, scopeContactId(tx.scope), key.threadKey, provider, historyLimit],
  );
  return ContextRow.parse(rows[0]);
}
