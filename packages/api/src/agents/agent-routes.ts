/** HTTP for agents (owner): list, show, and change provider, prompt or policies. */
import { Router } from 'express';
import { AgentName, AgentPatch } from '@switchboard/shared';
import { allow, ownerScopeOf } from '../http/auth-middleware';
import type { AgentService } from './agent-service';

export function agentRoutes(agents: AgentService): Router {
  const router = Router();
  router.use(allow('owner'));

  router.get('/', async (_req, res) => {
    res.json({ agents: await agents.list(ownerScopeOf(res)) });
  });

  router.get('/:name', async (req, res) => {
    res.json({ agent: await agents.getByName(ownerScopeOf(res), AgentName.parse(req.params.name)) });
  });

  router.patch('/:name', async (req, res) => {
    const name = AgentName.parse(req.params.name);
    res.json({ agent: await agents.update(ownerScopeOf(res), name, AgentPatch.parse(req.body)) });
  });

  return router;
}
