/** Agents: the personas contacts talk to. A fresh install has `default` on the echo provider. */
import { AppError, notFound } from '@switchboard/shared';
import type { Db } from '../db/db';
import type { Scope } from '../db/scope';
import { requireOwner } from '../db/scope-sql';
import * as repo from './agent-repo';

export type { Agent } from './agent-repo';

export type AgentService = ReturnType<typeof createAgentService>;

export function createAgentService(deps: { db: Db }) {
  const { db } = deps;

  return {
    list: (scope: Scope) => db.transaction(scope, (tx) => repo.listAgents(tx)),

    async getByName(scope: Scope, name: string): Promise<repo.Agent> {
      const agent = await db.transaction(scope, (tx) => repo.findAgentByName(tx, name));
      if (!agent) throw notFound('Agent', name);
      return agent;
    },

    async create(scope: Scope, agent: Omit<repo.Agent, 'id'>): Promise<repo.Agent> {
      requireOwner(scope, 'create agents');
      return db.transaction(scope, async (tx) => {
        if (await repo.findAgentByName(tx, agent.name)) throw new AppError('conflict', `Agent ${agent.name} already exists`);
        return repo.insertAgent(tx, agent);
      });
    },
  };
}
