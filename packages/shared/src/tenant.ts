/** Tenants: one owner's world on a shared installation (its agents, accounts, contacts, memories). */
import { z } from 'zod';
import { TenantId } from './ids';

/** A tenant's slug: what the admin names it by (`sb tenants rm acme`). */
export const TenantSlug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a slug: lowercase letters, digits and dashes, 1 to 63, not starting with a dash');

export const TenantSlugParams = z.strictObject({ slug: TenantSlug });

/** A Supabase Auth user's email address, as the tenant's owner waiting for its first sign-in. */
export const MemberEmail = z.email().max(320).transform((email) => email.toLowerCase());

/** A new tenant; `ownerEmail` or `ownerUserId` links a Supabase Auth user as its owner. */
export const TenantCreate = z.strictObject({
  slug: TenantSlug,
  name: z.string().trim().min(1).max(200).optional(),
  ownerEmail: MemberEmail.optional(),
  ownerUserId: z.uuid().optional(),
}).refine((input) => !(input.ownerEmail && input.ownerUserId), { message: 'name the owner by ownerEmail or by ownerUserId, not both' });
export type TenantCreate = z.infer<typeof TenantCreate>;

/** A Supabase Auth user linked to a tenant; `userId` is null until the email's first sign-in. */
export const TenantMember = z.object({
  userId: z.uuid().nullable(),
  email: z.string().nullable(),
  role: z.literal('owner'),
});
export type TenantMember = z.infer<typeof TenantMember>;

/** `POST /v1/tenants/:slug/members`: links a Supabase Auth user, by address or by id, as an owner. */
export const MemberLinkInput = z.strictObject({
  email: MemberEmail.optional(),
  userId: z.uuid().optional(),
}).refine((input) => (input.email === undefined) !== (input.userId === undefined), { message: 'name the member by email or by userId (one of them)' });
export type MemberLinkInput = z.input<typeof MemberLinkInput>;

/** `DELETE /v1/tenants/:slug/members/:member`: the member by user id or by email address. */
export const TenantMemberParams = z.strictObject({ slug: TenantSlug, member: z.union([z.uuid(), MemberEmail]) });

export const TenantMemberList = z.object({ members: z.array(TenantMember) });
export const TenantMemberReply = z.object({ member: TenantMember });

export const Tenant = z.object({
  id: TenantId,
  slug: z.string(),
  name: z.string().nullable(),
  createdAt: z.string(),
});
export type Tenant = z.infer<typeof Tenant>;

export const TenantList = z.object({ tenants: z.array(Tenant) });

/** A new tenant and its first owner token, shown this once (only its hash is stored). */
export const TenantCreated = Tenant.extend({ ownerToken: z.string(), member: TenantMember.optional() });
export type TenantCreated = z.infer<typeof TenantCreated>;

/** What erasing a tenant removed: rows per table, and its files. */
export const TenantErased = z.object({
  id: TenantId,
  slug: z.string(),
  deleted: z.record(z.string(), z.number().int()),
  filesNotDeleted: z.array(z.string()).optional(),
});
export type TenantErased = z.infer<typeof TenantErased>;
