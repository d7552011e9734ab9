/** Tenants: one owner's world on a shared installation (its agents, accounts, contacts, memories). */
import { z } from 'zod';
import { TenantId } from './ids';

/** A tenant's slug: what the admin names it by (`sb tenants rm acme`). */
export const TenantSlug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a slug: lowercase letters, digits and dashes, 1 to 63, not starting with a dash');

export const TenantSlugParams = z.strictObject({ slug: TenantSlug });

export const TenantCreate = z.strictObject({
  slug: TenantSlug,
  name: z.string().trim().min(1).max(200).optional(),
});
export type TenantCreate = z.infer<typeof TenantCreate>;

export const Tenant = z.object({
  id: TenantId,
  slug: z.string(),
  name: z.string().nullable(),
  createdAt: z.string(),
});
export type Tenant = z.infer<typeof Tenant>;

export const TenantList = z.object({ tenants: z.array(Tenant) });

/** A new tenant and its first owner token, shown this once (only its hash is stored). */
export const TenantCreated = Tenant.extend({ ownerToken: z.string() });
export type TenantCreated = z.infer<typeof TenantCreated>;

/** What erasing a tenant removed: rows per table, and its files. */
export const TenantErased = z.object({
  id: TenantId,
  slug: z.string(),
  deleted: z.record(z.string(), z.number().int()),
  filesNotDeleted: z.array(z.string()).optional(),
});
export type TenantErased = z.infer<typeof TenantErased>;
