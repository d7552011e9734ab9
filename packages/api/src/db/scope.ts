/**
 * Who is asking. Minted by the server from a token or a resolved sender, never from a request body.
 * The owner sees the whole tenant; a contact (a person or a group) sees its own rows and shared memories.
 */
import type { ContactId, TenantId } from '@switchboard/shared';

export type Principal = { kind: 'owner' } | { kind: 'contact'; contactId: ContactId };

export interface Scope {
  readonly tenantId: TenantId;
  readonly principal: Principal;
}

export function ownerScope(tenantId: TenantId): Scope {
  return { tenantId, principal: { kind: 'owner' } };
}

export function contactScope(tenantId: TenantId, contactId: ContactId): Scope {
  return { tenantId, principal: { kind: 'contact', contactId } };
}

export function isOwner(scope: Scope): boolean {
  return scope.principal.kind === 'owner';
}

/** The `contact_id` a row written in this scope carries: NULL for the owner's own rows. */
export function scopeContactId(scope: Scope): ContactId | null {
  return scope.principal.kind === 'contact' ? scope.principal.contactId : null;
}
