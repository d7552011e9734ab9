/** HTTP for tenants (the installation's admin token only): list, create, erase, and their Supabase Auth owners. */
import { Router } from 'express';
import { z } from 'zod';
import { MemberLinkInput, TenantCreate, TenantMemberParams, TenantSlugParams } from '@switchboard/shared';
import type { MemberLink } from './tenant-member-repo';
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

  router.get('/:slug/members', async (req, res) => {
    res.json({ members: await tenants.members(TenantSlugParams.parse(req.params).slug) });
  });

  router.post('/:slug/members', async (req, res) => {
    const { slug } = TenantSlugParams.parse(req.params);
    const input = MemberLinkInput.parse(req.body);
    res.status(201).json({ member: await tenants.link(slug, input.userId ? { userId: input.userId } : { email: input.email! }) });
  });

  router.delete('/:slug/members/:member', async (req, res) => {
    const { slug, member } = TenantMemberParams.parse(req.params);
    res.json({ member: await tenants.unlink(slug, memberOf(member)) });
  });

  return router;
}

/** A member parameter names a user by id (a uuid) or by address. */
function memberOf(member: string): MemberLink {
  return z.uuid().safeParse(member).success ? { userId: member.toLowerCase() } : { email: member };
}
