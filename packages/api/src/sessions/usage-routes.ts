/** `GET /v1/usage` (owner): turns and tokens per UTC day and contact. */
import { Router } from 'express';
import { UsageQuery } from '@switchboard/shared';
import { allow, ownerScopeOf } from '../http/auth-middleware';
import type { SessionService } from './session-service';

export function usageRoutes(sessions: SessionService): Router {
  const router = Router();
  router.use(allow('owner'));

  router.get('/', async (req, res) => {
    const query = UsageQuery.parse(req.query);
    res.json({ usage: await sessions.usage(ownerScopeOf(res), { days: query.days ?? 30, contact: query.contact }) });
  });

  return router;
}
