/**
 * Where a tenant's files live under SB_HOME (workspaces, contacts' CLI homes, per-turn run files).
 * The default tenant keeps SB_HOME itself, as before there were tenants; every other tenant has a
 * tree of its own, `tenants/<id>`, so two owners never share a workspace and erasing a tenant
 * removes one directory.
 */
import { join } from 'node:path';
import type { TenantId } from '@switchboard/shared';

export interface TenantHomes {
  /** The directory that holds the tenant's `workspaces`, `contacts` and `run`. */
  of(tenantId: TenantId): string;
  /** The tree that is the tenant's alone (erased with it); none for the default tenant. */
  own(tenantId: TenantId): string | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function createTenantHomes(home: string, defaultTenantId: TenantId): TenantHomes {
  const own = (tenantId: TenantId) => {
    if (tenantId === defaultTenantId) return undefined;
    // Ids come from the database as UUIDs; a path part is never taken on trust.
    if (!UUID.test(tenantId)) throw new Error(`Not a tenant id: ${JSON.stringify(tenantId)}`);
    return join(home, 'tenants', tenantId);
  };
  return { of: (tenantId) => own(tenantId) ?? home, own };
}
