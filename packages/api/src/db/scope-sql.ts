/**
 * Scope predicates written into the SQL itself. Row-level security already filters every row;
 * repeating the scope in WHERE keeps the planner on the (tenant, contact) indexes and makes every
 * query path state whose rows it touches.
 */
import { AppError } from '@switchboard/shared';
import type { Scope } from './scope';

/** Collects positional parameters so predicates can be composed without counting `$n` by hand. */
export class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** `alias.contact_id` is the scope's own: the owner's rows (NULL) for the owner, else the contact's. */
export function ownRowsSql(scope: Scope, params: SqlParams, alias: string): string {
  const tenant = `${alias}.tenant_id = ${params.add(scope.tenantId)}`;
  if (scope.principal.kind === 'owner') return `${tenant} and ${alias}.contact_id is null`;
  return `${tenant} and ${alias}.contact_id = ${params.add(scope.principal.contactId)}`;
}

/** Every row of the tenant for the owner; only the contact's own rows for a contact. */
export function reachableRowsSql(scope: Scope, params: SqlParams, alias: string): string {
  const tenant = `${alias}.tenant_id = ${params.add(scope.tenantId)}`;
  if (scope.principal.kind === 'owner') return tenant;
  return `${tenant} and ${alias}.contact_id = ${params.add(scope.principal.contactId)}`;
}

export function requireOwner(scope: Scope, action: string): void {
  if (scope.principal.kind !== 'owner') throw new AppError('forbidden', `Only the owner can ${action}`);
}
