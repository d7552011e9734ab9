/** HTTP for pairing (owner): pending codes, and approving one. */
import { Router } from 'express';
import { z } from 'zod';
import { allow, ownerScopeOf } from '../http/auth-middleware';
import type { PairingService } from './pairing-service';

const ApproveBody = z.strictObject({ code: z.string().trim().regex(/^[A-Za-z0-9]{6,12}$/, 'a pairing code') });

export function pairingRoutes(pairing: PairingService): Router {
  const router = Router();
  router.use(allow('owner'));

  router.get('/', async (_req, res) => {
    res.json({ requests: await pairing.list(ownerScopeOf(res)) });
  });

  router.post('/approve', async (req, res) => {
    const { code } = ApproveBody.parse(req.body);
    res.json({ contactId: await pairing.approve(ownerScopeOf(res), code) });
  });

  return router;
}
