/**
 * Agents: the personas contacts talk to. A fresh install has `default` on the echo provider.
 * `findForTurn` keeps each agent for a second (the gateway's resolves ask for the new-contact limit);
 * an update in this process drops the cached copy at once (other processes: within a second). The
 * accept reads the agent and its policy in its own call (app.accept_message), with AgentPolicy's defaults.
 */
import { AgentPolicy, AppError, notFound, type Agent, type AgentCreate, type AgentPatch, type TenantId } from '@switchboard/shared';
import type { Db } from '../db/db';
import type { Scope } from '../db/scope';
import { requireOwner } from '../db/scope-sql';
import * as repo from './agent-repo';

/** An agent with its parsed policy, as the pipeline uses it. */
export interface TurnAgent {
  agent: Agent;
  policy: AgentPolicy;
}

const CACHE_MS = 1000;

export type AgentService = ReturnType<typeof createAgentService>;

export function createAgentService(deps: { db: Db }) {
  const { db } = deps;
  const cache = new Map<string, { value: TurnAgent; until: number }>();
  const cacheKey = (tenantId: TenantId, name: string) => `${tenantId}/${name}`;

  async function getByName(scope: Scope, name: string): Promise<Agent> {
    const agent = await db.transaction(scope, (tx) => repo.findAgentByName(tx, name));
    if (!agent) throw notFound('Agent', name);
    return agent;
  }

  return {
    list: (scope: Scope) => db.transaction(scope, (tx) => repo.listAgents(tx)),

    getByName,

    /** The agent and its policy for a turn, from a cache of at most a second. */
    async findForTurn(scope: Scope, name: string): Promise<TurnAgent> {
      const key = cacheKey(scope.tenantId, name);
      const hit = cache.get(key);
      if (hit && hit.until > Date.now()) return hit.value;
      const agent = await getByName(scope, name);
      const value = { agent, policy: AgentPolicy.parse(agent.config) };
      cache.set(key, { value, until: Date.now() + CACHE_MS });
      return value;
    },

    /** A new agent: echo unless a provider is given; the other settings go into its config. */
    async create(scope: Scope, input: AgentCreate): Promise<Agent> {
      requireOwner(scope, 'create agents');
      const { name, provider = 'echo', systemPrompt = '', ...config } = input;
      return db.transaction(scope, async (tx) => {
        if (await repo.findAgentByName(tx, name)) throw new AppError('conflict', `Agent ${name} already exists`);
        return repo.insertAgent(tx, { name, provider, systemPrompt, config });
      });
    },

    /** Changes the provider, prompt or policies; policy fields are merged into the agent's config. */
    async update(scope: Scope, name: string, patch: AgentPatch): Promise<Agent> {
      requireOwner(scope, 'change agents');
      const { provider, systemPrompt, ...policy } = patch;
      const updated = await db.transaction(scope, (tx) => repo.updateAgent(tx, name, { provider, systemPrompt, config: policy }));
      cache.delete(cacheKey(scope.tenantId, name));
      if (!updated) throw notFound('Agent', name);
      return updated;
    },
  };
}
