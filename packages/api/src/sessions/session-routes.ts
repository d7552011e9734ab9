/** HTTP for sessions (owner): list, transcript, and reset of the owner's or a contact's chat. */
import { Router } from 'express';
import { MessagePageQuery, SessionId, SessionListQuery, SessionReset } from '@switchboard/shared';
import { allow, ownerScopeOf } from '../http/auth-middleware';
import type { AgentService } from '../agents/agent-service';
import type { SessionService } from './session-service';

export function sessionRoutes(sessions: SessionService, agents: AgentService): Router {
  const router = Router();
  router.use(allow('owner'));

  router.get('/', async (req, res) => {
    res.json({ sessions: await sessions.list(ownerScopeOf(res), SessionListQuery.parse(req.query)) });
  });

  router.get('/:id/messages', async (req, res) => {
    const page = MessagePageQuery.parse(req.query);
    res.json(await sessions.page(ownerScopeOf(res), SessionId.parse(req.params.id), page));
  });

  router.post('/reset', async (req, res) => {
    const body = SessionReset.parse(req.body);
    const scope = ownerScopeOf(res);
    const agent = await agents.getByName(scope, body.agent);
    const closed = await sessions.reset(scope, { agentId: agent.id, threadKey: body.thread, contact: body.contact });
    res.json({ reset: closed !== undefined, session: closed ?? null });
  });

  return router;
}
