/** HTTP for pairing (owner): pending codes, and approving one. */
import { Router } from 'express';
import { PairingApprove } from '@switchboard/shared';
import { allow, ownerScopeOf } from '../http/auth-middleware';
import type { PairingService } from './pairing-service';

export function pairingRoutes(pairing: PairingService): Router {
  const router = Router();
  router.use(allow('owner'));

  router.get('/', async (_req, res) => {
    res.json({ requests: await pairing.list(ownerScopeOf(res)) });
  });

  router.post('/approve', async (req, res) => {
    const { code } = PairingApprove.parse(req.body);
    res.json({ contactId: await pairing.approve(ownerScopeOf(res), code) });
  });

  return router;
}
