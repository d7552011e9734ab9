/** SQL for agents: every contact's turn may read the tenant's agents; only the owner writes them. */
import { z } from 'zod';
import { AgentId, Provider, type Agent } from '@switchboard/shared';
import type { ScopedTx } from '../db/db';

const AgentRow = z
  .object({
    id: AgentId,
    name: z.string(),
    provider: Provider,
    system_prompt: z.string(),
    config: z.record(z.string(), z.unknown()),
  })
  .transform((row): Agent => ({ id: row.id, name: row.name, provider: row.provider, systemPrompt: row.system_prompt, config: row.config }));

const COLUMNS = 'id, name, provider, system_prompt, config';

export async function listAgents(tx: ScopedTx): Promise<Agent[]> {
  const { rows } = await tx.query(`select ${COLUMNS} from agents where tenant_id = $1 order by name`, [tx.scope.tenantId]);
  return rows.map((row) => AgentRow.parse(row));
}

export async function findAgentByName(tx: ScopedTx, name: string): Promise<Agent | undefined> {
  const { rows } = await tx.query(`select ${COLUMNS} from agents where tenant_id = $1 and name = $2`, [tx.scope.tenantId, name]);
  return rows[0] === undefined ? undefined : AgentRow.parse(rows[0]);
}

export async function insertAgent(tx: ScopedTx, agent: Omit<Agent, 'id'>): Promise<Agent> {
  const { rows } = await tx.query(
    `insert into agents (tenant_id, name, provider, system_prompt, config) values ($1, $2, $3, $4, $5) returning ${COLUMNS}`,
    [tx.scope.tenantId, agent.name, agent.provider, agent.systemPrompt, JSON.stringify(agent.config)],
  );
  return AgentRow.parse(rows[0]);
}

/** Sets the given fields; `config` keys are merged into the stored config. Undefined when no such agent. */
export async function updateAgent(
  tx: ScopedTx,
  name: string,
  change: { provider?: Provider | undefined; systemPrompt?: string | undefined; config: Record<string, unknown> },
): Promise<Agent | undefined> {
  const { rows } = await tx.query(
    `update agents set provider = coalesce($3, provider), system_prompt = coalesce($4, system_prompt),
       config = config || $5::jsonb, updated_at = now()
     where tenant_id = $1 and name = $2 returning ${COLUMNS}`,
    [tx.scope.tenantId, name, change.provider ?? null, change.systemPrompt ?? null, JSON.stringify(change.config)],
  );
  return rows[0] === undefined ? undefined : AgentRow.parse(rows[0]);
}

export async function findAgentById(tx: ScopedTx, id: AgentId): Promise<Agent | undefined> {
  const { rows } = await tx.query(`select ${COLUMNS} from agents where tenant_id = $1 and id = $2`, [tx.scope.tenantId, id]);
  return rows[0] === undefined ? undefined : AgentRow.parse(rows[0]);
}
