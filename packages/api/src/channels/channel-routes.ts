/**
 * HTTP for channel accounts: the owner lists, adds and removes them; the gateway (and the owner)
 * reads them with their tokens and reads and writes a channel's session state.
 */
import { Router } from 'express';
import { ChannelAccountCreate, ChannelLeaseRelease, ChannelLeaseRequest, ChannelStateUpdate, ChatChannel, ExternalId } from '@switchboard/shared';
import { allow, callerKind, ownerScopeOf, type InAccountTenant } from '../http/auth-middleware';
import type { ChannelService } from './channel-service';

/** The `:channel/:account` of a route. */
function accountOf(params: Record<string, unknown>) {
  return { channel: ChatChannel.parse(params.channel), accountId: ExternalId.parse(params.account) };
}

export function channelRoutes(channels: ChannelService, inAccountTenant: InAccountTenant): Router {
  const router = Router();

  router.get('/', allow('owner'), async (_req, res) => {
    res.json({ accounts: await channels.list(ownerScopeOf(res)) });
  });

  router.post('/', allow('owner'), async (req, res) => {
    res.status(201).json({ account: await channels.add(ownerScopeOf(res), ChannelAccountCreate.parse(req.body)) });
  });

  router.delete('/:channel/:account', allow('owner'), async (req, res) => {
    const { channel, accountId } = accountOf(req.params);
    await channels.remove(ownerScopeOf(res), channel, accountId);
    res.json({ removed: true });
  });

  router.get('/:channel/:account/state', allow('owner', 'gateway'), async (req, res) => {
    const { channel, accountId } = accountOf(req.params);
    await inAccountTenant(res, channel, accountId);
    res.json({ entries: await channels.readState(ownerScopeOf(res), channel, accountId) });
  });

  router.post('/:channel/:account/state', allow('owner', 'gateway'), async (req, res) => {
    const { channel, accountId } = accountOf(req.params);
    await inAccountTenant(res, channel, accountId);
    const { set } = ChannelStateUpdate.parse(req.body);
    res.json({ written: await channels.writeState(ownerScopeOf(res), channel, accountId, set) });
  });

  return router;
}

/**
 * `GET /v1/gateway/accounts`: what a gateway connects, tokens included. `POST` and `DELETE
 * /v1/gateway/accounts/:channel/:account/lease`: take (or renew) and give up the right to connect it.
 */
export function gatewayRoutes(channels: ChannelService, inAccountTenant: InAccountTenant): Router {
  const router = Router();
  router.use(allow('owner', 'gateway'));

  router.get('/accounts', async (_req, res) => {
    // The owner sees its tenant's accounts; the installation's gateway every tenant's.
    res.json({ accounts: callerKind(res) === 'gateway' ? await channels.forInstallationGateway() : await channels.forGateway(ownerScopeOf(res)) });
  });

  router.post('/accounts/:channel/:account/lease', async (req, res) => {
    const { channel, accountId } = accountOf(req.params);
    await inAccountTenant(res, channel, accountId);
    const request = ChannelLeaseRequest.parse(req.body);
    res.json({ lease: await channels.takeLease(ownerScopeOf(res), channel, accountId, request) });
  });

  router.delete('/accounts/:channel/:account/lease', async (req, res) => {
    const { channel, accountId } = accountOf(req.params);
    await inAccountTenant(res, channel, accountId);
    const { holder } = ChannelLeaseRelease.parse(req.query);
    res.json({ released: await channels.releaseLease(ownerScopeOf(res), channel, accountId, holder) });
  });
  return router;
}
