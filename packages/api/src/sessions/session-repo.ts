/**
 * SQL for sessions: read in scope, closed by reset, erased with their contact. A turn opens or
 * resumes the open session of a key in app.open_turn, on the partial unique index (NULL contact =
 * the owner's own, NULLS NOT DISTINCT), so the owner never resumes a contact's session.
 */
import { z } from 'zod';
import { AgentId, ContactId, Provider, SessionId, SessionStatus, type Session } from '@switchboard/shared';
import type { ScopedTx } from '../db/db';
import { SqlParams, reachableRowsSql } from '../db/scope-sql';

export const SESSION_COLUMNS = `s.id, s.agent_id, s.contact_id, s.thread_key, s.provider, s.provider_session_id,
  s.status, s.created_at, s.closed_at`;

export const SessionRow = z
  .object({
    id: SessionId,
    agent_id: AgentId,
    contact_id: ContactId.nullable(),
    thread_key: z.string(),
    provider: Provider,
    provider_session_id: z.string().nullable(),
    status: SessionStatus,
    created_at: z.coerce.date(),
    closed_at: z.coerce.date().nullable(),
  })
  .transform(
    (row): Session => ({
      id: row.id,
      agentId: row.agent_id,
      contactId: row.contact_id,
      threadKey: row.thread_key,
      provider: row.provider,
      providerSessionId: row.provider_session_id,
      status: row.status,
      createdAt: row.created_at,
      closedAt: row.closed_at,
    }),
  );

export interface SessionKey {
  agentId: AgentId;
  threadKey: string;
}

/** Closes the open session of (agent, contact or owner, thread); the next turn opens a new one. */
export async function closeSession(tx: ScopedTx, key: SessionKey, contactId: ContactId | null): Promise<Session | undefined> {
  const { rows } = await tx.query(
    `update sessions s set status = 'closed', closed_at = now(), updated_at = now()
     where s.tenant_id = $1 and s.agent_id = $2 and s.contact_id is not distinct from $3 and s.thread_key = $4
       and s.status = 'open'
     returning ${SESSION_COLUMNS}`,
    [tx.scope.tenantId, key.agentId, contactId, key.threadKey],
  );
  return rows[0] === undefined ? undefined : SessionRow.parse(rows[0]);
}

export async function findSession(tx: ScopedTx, id: SessionId): Promise<Session | undefined> {
  const params = new SqlParams();
  const where = reachableRowsSql(tx.scope, params, 's');
  const { rows } = await tx.query(`select ${SESSION_COLUMNS} from sessions s where ${where} and s.id = ${params.add(id)}`, params.values);
  return rows[0] === undefined ? undefined : SessionRow.parse(rows[0]);
}

/** Sessions newest first; `contact` narrows an owner listing to one contact or the owner's own. */
export async function listSessions(tx: ScopedTx, filter: { contact?: ContactId | 'owner'; limit: number }): Promise<Session[]> {
  const params = new SqlParams();
  let where = reachableRowsSql(tx.scope, params, 's');
  if (filter.contact === 'owner') where += ' and s.contact_id is null';
  else if (filter.contact !== undefined) where += ` and s.contact_id = ${params.add(filter.contact)}`;
  const { rows } = await tx.query(
    `select ${SESSION_COLUMNS} from sessions s where ${where} order by s.created_at desc, s.id limit ${params.add(filter.limit)}`,
    params.values,
  );
  return rows.map((row) => SessionRow.parse(row));
}

/** Deletes the contacts' sessions (their messages go with them). */
export async function eraseSessions(tx: ScopedTx, contactIds: ContactId[]): Promise<number> {
  const { rowCount } = await tx.query(`delete from sessions where tenant_id = $1 and contact_id = any($2)`, [
    tx.scope.tenantId,
    contactIds,
  ]);
  return rowCount;
}
