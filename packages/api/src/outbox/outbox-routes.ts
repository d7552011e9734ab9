/** HTTP for the outbox (gateway and owner): pending replies of a channel account, and acks. */
import { Router } from 'express';
import { z } from 'zod';
import { Channel, ExternalId } from '@switchboard/shared';
import { allow, ownerScopeOf } from '../http/auth-middleware';
import type { OutboxService } from './outbox-service';

const ListQuery = z.strictObject({
  channel: Channel.optional(),
  account: ExternalId.optional(),
  status: z.enum(['pending', 'failed', 'sent']).default('pending'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export function outboxRoutes(outbox: OutboxService): Router {
  const router = Router();
  router.use(allow('owner', 'gateway'));

  router.get('/', async (req, res) => {
    const query = ListQuery.parse(req.query);
    const items = await outbox.list(ownerScopeOf(res), { ...query, accountKey: query.account });
    res.json({ items });
  });

  router.post('/:id/ack', async (req, res) => {
    res.json({ item: await outbox.ack(ownerScopeOf(res), z.uuid().parse(req.params.id)) });
  });

  return router;
}
