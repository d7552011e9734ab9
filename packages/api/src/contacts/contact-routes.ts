/** HTTP for contacts: list, show, resolve (owner or gateway), allow or block, merge, and erase (owner). */
import { Router } from 'express';
import { ContactAccessChange, ContactId, ContactMerge, ContactUnmerge, ResolveContactInput } from '@switchboard/shared';
import { allow, callerOf, ownerScopeOf, type InAccountTenant } from '../http/auth-middleware';
import type { ContactService } from './contact-service';

export function contactRoutes(contacts: ContactService, inAccountTenant: InAccountTenant): Router {
  const router = Router();

  router.get('/', allow('owner'), async (_req, res) => {
    res.json({ contacts: await contacts.list(ownerScopeOf(res)) });
  });

  router.post('/resolve', allow('owner', 'gateway'), async (req, res) => {
    const { accountId, ...input } = ResolveContactInput.strict().parse(req.body);
    await inAccountTenant(res, input.channel, accountId ?? 'default');
    const scope = ownerScopeOf(res);
    // The gateway token's new contacts count against the tenant's new-contact limit, as its messages do.
    const { contactId, created } = await contacts.resolve(scope, input, { limited: callerOf(res).kind === 'gateway' });
    res.status(created ? 201 : 200).json({ contact: await contacts.get(scope, contactId), created });
  });

  router.get('/:id', allow('owner'), async (req, res) => {
    res.json({ contact: await contacts.get(ownerScopeOf(res), ContactId.parse(req.params.id)) });
  });

  router.patch('/:id', allow('owner'), async (req, res) => {
    const { access } = ContactAccessChange.parse(req.body);
    res.json({ contact: await contacts.setAccess(ownerScopeOf(res), ContactId.parse(req.params.id), access) });
  });

  router.post('/:id/merge', allow('owner'), async (req, res) => {
    const { into } = ContactMerge.parse(req.body);
    res.json({ contact: await contacts.merge(ownerScopeOf(res), ContactId.parse(req.params.id), into) });
  });

  router.post('/:id/unmerge', allow('owner'), async (req, res) => {
    ContactUnmerge.parse(req.body ?? {});
    res.json({ contact: await contacts.unmerge(ownerScopeOf(res), ContactId.parse(req.params.id)) });
  });

  router.delete('/:id', allow('owner'), async (req, res) => {
    res.json(await contacts.forget(ownerScopeOf(res), ContactId.parse(req.params.id)));
  });

  return router;
}
