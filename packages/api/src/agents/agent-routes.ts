/** HTTP for agents (owner): list, show, create, change, and check whether one can run here. */
import { Router } from 'express';
import { AgentCreate, AgentName, AgentPatch } from '@switchboard/shared';
import type { CheckAgent } from './agent-check';
import { allow, ownerScopeOf } from '../http/auth-middleware';
import type { AgentService } from './agent-service';

export function agentRoutes(agents: AgentService, checkAgent: CheckAgent): Router {
  const router = Router();
  router.use(allow('owner'));

  router.get('/', async (_req, res) => {
    res.json({ agents: await agents.list(ownerScopeOf(res)) });
  });

  router.get('/:name', async (req, res) => {
    res.json({ agent: await agents.getByName(ownerScopeOf(res), AgentName.parse(req.params.name)) });
  });

  router.post('/', async (req, res) => {
    res.status(201).json({ agent: await agents.create(ownerScopeOf(res), AgentCreate.parse(req.body)) });
  });

  router.get('/:name/check', async (req, res) => {
    res.json(await checkAgent(await agents.getByName(ownerScopeOf(res), AgentName.parse(req.params.name))));
  });

  router.patch('/:name', async (req, res) => {
    const name = AgentName.parse(req.params.name);
    res.json({ agent: await agents.update(ownerScopeOf(res), name, AgentPatch.parse(req.body)) });
  });

  return router;
}
