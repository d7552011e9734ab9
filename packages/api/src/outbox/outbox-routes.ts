/** HTTP for the outbox (gateway and owner): list, claim due replies, ack, report failures; the owner retries parked ones. */
import { Router } from 'express';
import { z } from 'zod';
import { Channel, ExternalId, OutboxClaim, OutboxFailure } from '@switchboard/shared';
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

  router.post('/claim', async (req, res) => {
    const claim = OutboxClaim.parse(req.body);
    const abandoned = new AbortController();
    res.on('close', () => abandoned.abort());
    res.json({ items: await outbox.claim(ownerScopeOf(res), claim, abandoned.signal) });
  });

  router.post('/:id/ack', async (req, res) => {
    res.json({ item: await outbox.ack(ownerScopeOf(res), z.uuid().parse(req.params.id)) });
  });

  router.post('/:id/fail', async (req, res) => {
    const id = z.uuid().parse(req.params.id);
    res.json({ item: await outbox.fail(ownerScopeOf(res), id, OutboxFailure.parse(req.body)) });
  });

  router.post('/:id/retry', allow('owner'), async (req, res) => {
    res.json({ item: await outbox.retry(ownerScopeOf(res), z.uuid().parse(req.params.id)) });
  });

  return router;
}
