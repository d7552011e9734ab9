/** HTTP for sessions (owner): list, transcript, and reset of the owner's or a contact's chat. */
import { Router } from 'express';
import { z } from 'zod';
import { ContactId, SessionId, ThreadKey } from '@switchboard/shared';
import { allow, ownerScopeOf } from '../http/auth-middleware';
import type { AgentService } from '../agents/agent-service';
import type { SessionService } from './session-service';

const Whose = z.union([z.literal('owner'), ContactId]);

const ListQuery = z.strictObject({
  contact: Whose.optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

const ResetBody = z.strictObject({
  agent: z.string().min(1).max(63).default('default'),
  contact: Whose,
  thread: ThreadKey.default(''),
});

export function sessionRoutes(sessions: SessionService, agents: AgentService): Router {
  const router = Router();
  router.use(allow('owner'));

  router.get('/', async (req, res) => {
    res.json({ sessions: await sessions.list(ownerScopeOf(res), ListQuery.parse(req.query)) });
  });

  router.get('/:id/messages', async (req, res) => {
    res.json({ messages: await sessions.messages(ownerScopeOf(res), SessionId.parse(req.params.id)) });
  });

  router.post('/reset', async (req, res) => {
    const body = ResetBody.parse(req.body);
    const scope = ownerScopeOf(res);
    const agent = await agents.getByName(scope, body.agent);
    const closed = await sessions.reset(scope, { agentId: agent.id, threadKey: body.thread, contact: body.contact });
    res.json({ reset: closed !== undefined, session: closed ?? null });
  });

  return router;
}
