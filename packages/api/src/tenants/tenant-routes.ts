/** HTTP for tenants (the installation's admin token only): list, create, erase. */
import { Router } from 'express';
import { TenantCreate, TenantSlugParams } from '@switchboard/shared';
import { allow } from '../http/auth-middleware';
import type { TenantService } from './tenant-service';

export function tenantRoutes(tenants: TenantService): Router {
  const router = Router();
  router.use(allow('admin'));

  router.get('/', async (_req, res) => {
    res.json({ tenants: await tenants.list() });
  });

  router.post('/', async (req, res) => {
    res.status(201).json(await tenants.create(TenantCreate.parse(req.body)));
  });

  router.delete('/:slug', async (req, res) => {
    res.json(await tenants.remove(TenantSlugParams.parse(req.params).slug));
  });

  return router;
}
