/**
 * Contacts: resolve a sender (or a group and its speaker) to a contact, list and show them, and
 * erase one completely. Resolving and erasing are the owner's (tenant-wide) operations; a contact
 * scope can only read its own contact. Erasure asks every component that keeps contact data.
 */
import { notFound, type Contact, type ContactAccess, type ContactId, type ForgetResult, type NamedIdentity, type ResolveContactInput } from '@switchboard/shared';
import type { Db, ScopedTx } from '../db/db';
import type { Scope } from '../db/scope';
import { requireOwner } from '../db/scope-sql';
import * as repo from './contact-repo';

/** Deletes one component's rows of the given contacts inside the erasure transaction; returns counts. */
export type ContactEraser = (tx: ScopedTx, contactIds: ContactId[]) => Promise<Record<string, number>>;

export interface GroupResolution {
  groupId: ContactId;
  memberId: ContactId;
}

export type ContactService = ReturnType<typeof createContactService>;

export function createContactService(deps: { db: Db; erasers: ContactEraser[] }) {
  const { db, erasers } = deps;

  return {
    /** The contact for a channel identity, created on first sight; follows merges. */
    async resolve(scope: Scope, input: ResolveContactInput): Promise<repo.ResolvedIdentity> {
      requireOwner(scope, 'resolve contacts');
      return db.transaction(scope, (tx) => repo.resolveIdentity(tx, input));
    },

    /** A group chat's contact and its speaker's contact, linked as a member. */
    async resolveGroupMember(scope: Scope, group: NamedIdentity, sender: NamedIdentity): Promise<GroupResolution> {
      requireOwner(scope, 'resolve contacts');
      return db.transaction(scope, async (tx) => {
        const resolvedGroup = await repo.resolveIdentity(tx, { ...group, kind: 'group' });
        const member = await repo.resolveIdentity(tx, { ...sender, kind: 'person' });
        await repo.linkGroupMember(tx, resolvedGroup.contactId, member.contactId);
        return { groupId: resolvedGroup.contactId, memberId: member.contactId };
      });
    },

    list(scope: Scope, options: { limit?: number } = {}): Promise<Contact[]> {
      return db.transaction(scope, (tx) => repo.listContacts(tx, options.limit ?? 1000));
    },

    async get(scope: Scope, id: ContactId): Promise<Contact> {
      const contact = await db.transaction(scope, (tx) => repo.findContact(tx, id));
      if (!contact) throw notFound('Contact', id);
      return contact;
    },

    /** Allows (past an allowlist or pairing policy), blocks, or returns a contact to the default. */
    async setAccess(scope: Scope, id: ContactId, access: ContactAccess): Promise<Contact> {
      requireOwner(scope, 'change contact access');
      return db.transaction(scope, async (tx) => {
        if (!(await repo.updateContactAccess(tx, id, access))) throw notFound('Contact', id);
        const contact = await repo.findContact(tx, id);
        if (!contact) throw notFound('Contact', id);
        return contact;
      });
    },

    /** Erases the contact (and contacts merged into it) from every table; returns what was deleted. */
    async forget(scope: Scope, id: ContactId): Promise<ForgetResult> {
      requireOwner(scope, 'erase contacts');
      return db.transaction(scope, async (tx) => {
        const family = await repo.findMergedFamily(tx, id);
        if (family.length === 0) throw notFound('Contact', id);
        const deleted: Record<string, number> = {};
        for (const erase of erasers) Object.assign(deleted, await erase(tx, family));
        Object.assign(deleted, await repo.eraseContacts(tx, family));
        return { contactId: id, deleted };
      });
    },
  };
}
