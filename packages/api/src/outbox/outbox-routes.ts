/**
 * HTTP for the outbox (gateway and owner): list, claim due replies, ack, report failures; the owner
 * retries parked ones. The gateway token names its lease holder (`holder`) on each of them.
 */
import { Router, type Response } from 'express';
import { z } from 'zod';
import { AppError, OutboxAck, OutboxClaim, OutboxFailure, OutboxListQuery } from '@switchboard/shared';
import { allow, callerKind, callerOf, ownerScopeOf, type InAccountTenant } from '../http/auth-middleware';
import type { OutboxReader, OutboxService } from './outbox-service';

/** The owner reads every row; the gateway token only those of accounts its `holder` has the lease of. */
function readerOf(res: Response, holder: string | undefined): OutboxReader {
  return callerOf(res).kind === 'owner' ? { kind: 'owner' } : { kind: 'gateway', holder };
}

/** The gateway names the account it works on (its tenant is the account's); the owner works in its own tenant. */
async function inItemAccount(res: Response, inAccountTenant: InAccountTenant, channel: string | undefined, account: string | undefined) {
  if (callerKind(res) !== 'gateway') return;
  if (channel === undefined || account === undefined) throw new AppError('forbidden', 'The gateway token names the account: channel and account');
  await inAccountTenant(res, channel, account);
}

export function outboxRoutes(outbox: OutboxService, inAccountTenant: InAccountTenant): Router {
  const router = Router();
  router.use(allow('owner', 'gateway'));

  router.get('/', async (req, res) => {
    const { holder, ...query } = OutboxListQuery.parse(req.query);
    await inItemAccount(res, inAccountTenant, query.channel, query.account);
    const items = await outbox.list(ownerScopeOf(res), { ...query, accountKey: query.account }, readerOf(res, holder));
    res.json({ items });
  });

  router.post('/claim', async (req, res) => {
    const claim = OutboxClaim.parse(req.body);
    await inItemAccount(res, inAccountTenant, claim.channel, claim.account);
    const abandoned = new AbortController();
    res.on('close', () => abandoned.abort());
    res.json({ items: await outbox.claim(ownerScopeOf(res), claim, abandoned.signal, readerOf(res, claim.holder)) });
  });

  router.post('/:id/ack', async (req, res) => {
    const id = z.uuid().parse(req.params.id);
    const { holder, channel, account } = OutboxAck.parse(req.body ?? {});
    await inItemAccount(res, inAccountTenant, channel, account);
    res.json({ item: await outbox.ack(ownerScopeOf(res), id, readerOf(res, holder)) });
  });

  router.post('/:id/fail', async (req, res) => {
    const id = z.uuid().parse(req.params.id);
    const { holder, channel, account, ...failure } = OutboxFailure.parse(req.body);
    await inItemAccount(res, inAccountTenant, channel, account);
    res.json({ item: await outbox.fail(ownerScopeOf(res), id, failure, readerOf(res, holder)) });
  });

  router.post('/:id/retry', allow('owner'), async (req, res) => {
    res.json({ item: await outbox.retry(ownerScopeOf(res), z.uuid().parse(req.params.id)) });
  });

  return router;
}
