/**
 * SQL for tenant_members: the Supabase Auth users who own a tenant. Lookups run before any scope
 * exists, as sb_app with `app.auth_user` (and `app.auth_email` to bind) set: row-level security
 * shows them only the row those settings name. Linking runs in the admin's transaction.
 */
import { z } from 'zod';
import { AppError, TenantId, type TenantMember } from '@switchboard/shared';
import type { Db, SqlRunner } from '../db/db';

/** Whom a tenant's owner is: a known user id, or an email address bound at its first sign-in. */
export type MemberLink = { userId: string } | { email: string };

const MemberRow = z.object({ user_id: z.uuid().nullable(), email: z.string().nullable(), role: z.literal('owner') })
  .transform((row): TenantMember => ({ userId: row.user_id, email: row.email, role: row.role }));
const TenantRow = z.object({ tenant_id: TenantId });

/** Links the user (or the address) as the owner of `tenantId`, in the admin's transaction. */
export async function linkMemberIn(tx: SqlRunner, tenantId: TenantId, link: MemberLink): Promise<TenantMember> {
  const [userId, email] = 'userId' in link ? [link.userId, null] : [null, link.email];
  const { rows: taken } = await tx.query(
    'select 1 from tenant_members where user_id = $1 or (user_id is null and email = $2)', [userId, email]);
  if (taken.length > 0) {
    throw new AppError('conflict', userId ? `User ${userId} already owns a tenant` : `${email} already waits to own a tenant`);
  }
  const { rows } = await tx.query(
    `insert into tenant_members (tenant_id, user_id, email) values ($1, $2, $3) returning user_id, email, role`, [tenantId, userId, email]);
  return MemberRow.parse(rows[0]);
}

/** The tenant's members, oldest first (the admin's transaction). */
export async function listMembersIn(tx: SqlRunner, tenantId: TenantId): Promise<TenantMember[]> {
  const { rows } = await tx.query('select user_id, email, role from tenant_members where tenant_id = $1 order by created_at, email', [tenantId]);
  return rows.map((row) => MemberRow.parse(row));
}

/** Unlinks the member named by user id or by address (the admin's transaction); the member removed, if any. */
export async function unlinkMemberIn(tx: SqlRunner, tenantId: TenantId, member: MemberLink): Promise<TenantMember | undefined> {
  const [userId, email] = 'userId' in member ? [member.userId, null] : [null, member.email];
  const { rows } = await tx.query(
    `delete from tenant_members where tenant_id = $1 and (user_id = $2 or email = $3) returning user_id, email, role`, [tenantId, userId, email]);
  return rows[0] === undefined ? undefined : MemberRow.parse(rows[0]);
}

/** The tenant the user owns, if any. */
export async function findMemberTenant(db: Db, userId: string): Promise<TenantId | undefined> {
  const { rows } = await db.unscopedTransaction(async (tx) => {
    await tx.query(`select set_config('app.auth_user', $1, true)`, [userId]);
    return tx.query('select tenant_id from tenant_members where user_id = $1', [userId]);
  });
  return rows[0] === undefined ? undefined : TenantRow.parse(rows[0]).tenant_id;
}

/** Whether a tenant waits for this address's first sign-in. */
export async function hasPendingMember(db: Db, email: string): Promise<boolean> {
  const { rows } = await db.unscopedTransaction(async (tx) => {
    await tx.query(`select set_config('app.auth_email', $1, true)`, [email]);
    return tx.query('select 1 from tenant_members where user_id is null and email = $1', [email]);
  });
  return rows.length > 0;
}

/**
 * Binds the user to the tenant that waits for its address; the tenant, or undefined when none waits
 * (or the user came to own another tenant meanwhile: a user owns one).
 */
export async function bindPendingMember(db: Db, userId: string, email: string): Promise<TenantId | undefined> {
  const { rows } = await db.unscopedTransaction(async (tx) => {
    await tx.query(`select set_config('app.auth_user', $1, true), set_config('app.auth_email', $2, true)`, [userId, email]);
    return tx.query('update tenant_members set user_id = $1 where user_id is null and email = $2 returning tenant_id', [userId, email]);
  }).catch((error: unknown) => {
    if ((error as { code?: unknown }).code === '23505') return { rows: [] };
    throw error;
  });
  return rows[0] === undefined ? undefined : TenantRow.parse(rows[0]).tenant_id;
}
