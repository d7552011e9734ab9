/** Finds a tenant by slug. Runs as the schema owner: tenants are looked up before any scope exists. */
import { TenantId } from '@switchboard/shared';
import type { Db } from './db/db';

export async function findTenantId(db: Db, slug: string): Promise<TenantId | undefined> {
  const { rows } = await db.adminTransaction((tx) => tx.query('select id from tenants where slug = $1', [slug]));
  return rows[0] === undefined ? undefined : TenantId.parse(rows[0].id);
}
