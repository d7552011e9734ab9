/**
 * Tenants, managed with the installation's admin token: list, create (with a first owner token,
 * shown once, and agent `default` on echo), erase (every row, then its files). The database work runs
 * as sb_app with `app.admin` set, which row-level security lets write tenants, owner tokens and
 * members (Supabase Auth users who own a tenant) only;
 * erasing then enters the tenant's owner scope (app.delete_tenant).
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AppError, notFound, Tenant, TenantId, type TenantCreate, type TenantCreated, type TenantErased, type TenantMember } from '@switchboard/shared';
import type { Db, SqlRunner } from '../db/db';
import { hashToken } from '../auth/token-repo';
import { linkMemberIn, listMembersIn, unlinkMemberIn, type MemberLink } from './tenant-member-repo';
import { removeTree } from '../contacts/contact-files';
import type { TenantHomes } from '../home/tenant-homes';
import { createSilentLog, type Log } from '../ops/ops-log';

export type TenantService = ReturnType<typeof createTenantService>;

const TenantRow = z.object({ id: TenantId, slug: z.string(), name: z.string().nullable(), created_at: z.coerce.date() })
  .transform((row): Tenant => ({ id: row.id, slug: row.slug, name: row.name, createdAt: row.created_at.toISOString() }));
const CreatedRow = z.object({ id: TenantId, slug: z.string(), name: z.string().nullable(), createdAt: z.coerce.date() });
const ErasedRow = z.object({ id: TenantId, deleted: z.record(z.string(), z.number().int()) }).nullable();

export interface TenantServiceDeps {
  db: Db;
  /** Where tenants' files live; none: rows only. */
  homes?: TenantHomes | undefined;
  /** After an erasure or a change of owners: remembered sign-ins are forgotten, so the change holds at once. */
  onAccessChanged?: () => void;
  log?: Log | undefined;
}

export function createTenantService(deps: TenantServiceDeps) {
  const { db, homes } = deps;
  const log = deps.log ?? createSilentLog();
  const asAdmin = <T>(fn: (tx: SqlRunner) => Promise<T>) =>
    db.unscopedTransaction(async (tx) => {
      await tx.query(`select set_config('app.admin', 'true', true)`);
      return fn(tx);
    });

  /** The tenant's id by its slug, in the admin's transaction; 404 when there is none. */
  const tenantIn = async (tx: SqlRunner, slug: string): Promise<TenantId> => {
    const { rows } = await tx.query<{ id: string }>('select id from tenants where slug = $1', [slug]);
    if (rows[0] === undefined) throw notFound('Tenant', slug);
    return TenantId.parse(rows[0].id);
  };

  return {
    /** The Supabase Auth users who own the tenant. */
    members(slug: string): Promise<TenantMember[]> {
      return asAdmin(async (tx) => listMembersIn(tx, await tenantIn(tx, slug)));
    },

    /** Links another owner (a user owns one tenant: 409 when it owns one already). */
    async link(slug: string, member: MemberLink): Promise<TenantMember> {
      const linked = await asAdmin(async (tx) => linkMemberIn(tx, await tenantIn(tx, slug), member)).catch((error: unknown) => {
        if ((error as { code?: unknown }).code === '23505') throw new AppError('conflict', 'That user already owns a tenant');
        throw error;
      });
      // A sign-in refused a moment ago (no tenant) is remembered: forgotten, the link works at once.
      deps.onAccessChanged?.();
      return linked;
    },

    /** Unlinks an owner; its access tokens stop working at once in this process (others: within the token cache). */
    async unlink(slug: string, member: MemberLink): Promise<TenantMember> {
      const removed = await asAdmin(async (tx) => unlinkMemberIn(tx, await tenantIn(tx, slug), member));
      if (!removed) throw notFound('Member', 'userId' in member ? member.userId : member.email);
      deps.onAccessChanged?.();
      return removed;
    },

    async list(): Promise<Tenant[]> {
      const { rows } = await asAdmin((tx) => tx.query('select id, slug, name, created_at from tenants order by created_at, slug'));
      return rows.map((row) => TenantRow.parse(row));
    },

    async create(input: TenantCreate): Promise<TenantCreated> {
      const ownerToken = randomBytes(32).toString('base64url');
      const made = await asAdmin(async (tx) => {
        const { rows: taken } = await tx.query('select 1 from tenants where slug = $1', [input.slug]);
        if (taken.length > 0) throw new AppError('conflict', `Tenant ${input.slug} already exists`);
        const { rows } = await tx.query<{ made: unknown }>(
          'select app.create_tenant($1::text, $2::text, $3::text) as made', [input.slug, input.name ?? null, hashToken(ownerToken)]);
        const tenant = CreatedRow.parse(rows[0]?.made);
        const link = memberLinkOf(input);
        return { ...tenant, member: link ? await linkMemberIn(tx, tenant.id, link) : undefined };
      }).catch((error: unknown) => {
        // Two creations of one slug at the same moment: the second meets the unique index.
        if ((error as { code?: unknown }).code === '23505') throw new AppError('conflict', `Tenant ${input.slug} or its owner already exists`);
        throw error;
      });
      const created = { id: made.id, slug: made.slug, name: made.name, createdAt: made.createdAt.toISOString(), ownerToken };
      return made.member ? { ...created, member: made.member } : created;
    },

    /** Erases the tenant's rows (one transaction), then its files; `default` is refused. */
    async remove(slug: string): Promise<TenantErased> {
      if (slug === 'default') throw new AppError('invalid_input', 'The default tenant cannot be erased');
      const erased = await asAdmin(async (tx) => {
        const { rows } = await tx.query<{ erased: unknown }>('select app.delete_tenant($1::text) as erased', [slug]);
        return ErasedRow.parse(rows[0]?.erased ?? null);
      });
      if (!erased) throw notFound('Tenant', slug);
      deps.onAccessChanged?.();
      const tree = homes?.own(erased.id);
      if (!tree) return { id: erased.id, slug, deleted: erased.deleted };
      // The rows are gone whatever happens to the files: a failure is reported, not thrown.
      const failed: string[] = [];
      const removed = await removeTree(tree).catch((error: unknown) => {
        failed.push(`${tree}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
        return false;
      });
      for (const failure of failed) log.error({ tenantId: erased.id, failure }, `erasing tenant ${slug}: could not delete a file`);
      return { id: erased.id, slug, deleted: { ...erased.deleted, files: removed ? 1 : 0 }, ...(failed.length > 0 ? { filesNotDeleted: failed } : {}) };
    },
  };
}

function memberLinkOf(input: TenantCreate): MemberLink | undefined {
  if (input.ownerUserId) return { userId: input.ownerUserId };
  return input.ownerEmail ? { email: input.ownerEmail } : undefined;
}
