/**
 * Contacts: resolve a sender (or a group and its speaker) to a contact, list and show them, merge
 * one into another (reversibly), and erase one completely. Resolving, merging and erasing are the
 * owner's (tenant-wide) operations; a contact scope can only read its own contact. Erasure asks
 * every component that keeps contact data in one transaction, then deletes the contacts' files
 * (after the commit: a file that cannot be deleted is logged and reported, the rows are gone).
 */
import { AppError, notFound, type Contact, type ContactAccess, type ContactId, type ForgetResult, type NamedIdentity, type RateLimit, type ResolveContactInput } from '@switchboard/shared';
import type { Db, ScopedTx } from '../db/db';
import type { Scope } from '../db/scope';
import { requireOwner } from '../db/scope-sql';
import type { ContactFiles } from './contact-files';
import * as repo from './contact-repo';
import { createSilentLog, type Log } from '../ops/ops-log';

/** Deletes one component's rows of the given contacts inside the erasure transaction; returns counts. */
export type ContactEraser = (tx: ScopedTx, contactIds: ContactId[]) => Promise<Record<string, number>>;

/** A contact of the caller's scope, inside the caller's transaction (the pipeline's `/whoami`). */
export function findContactIn(tx: ScopedTx, id: ContactId): Promise<Contact | undefined> {
  return repo.findContact(tx, id);
}

export interface GroupResolution {
  groupId: ContactId;
  memberId: ContactId;
}

export type ContactService = ReturnType<typeof createContactService>;

export interface ContactServiceDeps {
  db: Db;
  erasers: ContactEraser[];
  /** The contacts' workspaces, CLI homes and run files; none, erasure deletes rows only. */
  files?: ContactFiles | undefined;
  log?: Log | undefined;
  /** The tenant's new-contact limit for a resolve that is limited (the gateway token's). */
  newContactRate?: ((scope: Scope) => Promise<RateLimit>) | undefined;
}

export function createContactService(deps: ContactServiceDeps) {
  const { db, erasers, files } = deps;
  const log = deps.log ?? createSilentLog();

  return {
    /**
     * The contact for a channel identity, created on first sight; follows merges. `limited`: a new
     * contact takes a token of the tenant's new-contact limit, and over it nothing is created (429).
     */
    async resolve(scope: Scope, input: ResolveContactInput, options: { limited?: boolean } = {}): Promise<repo.ResolvedIdentity> {
      requireOwner(scope, 'resolve contacts');
      const limit = options.limited && deps.newContactRate ? await deps.newContactRate(scope) : undefined;
      return db.transaction(scope, async (tx) => {
        const resolved = await repo.resolveIdentity(tx, input);
        if (limit && resolved.created && !(await repo.takeNewContactTokens(tx, 1, limit))) {
          throw new AppError('rate_limited', 'Too many new contacts for now (the tenant\'s new-contact limit): try again later');
        }
        return resolved;
      });
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

    get(scope: Scope, id: ContactId): Promise<Contact> {
      return db.transaction(scope, (tx) => getIn(tx, id));
    },

    /** Allows (past an allowlist or pairing policy), blocks, or returns a contact to the default. */
    async setAccess(scope: Scope, id: ContactId, access: ContactAccess): Promise<Contact> {
      requireOwner(scope, 'change contact access');
      return db.transaction(scope, async (tx) => {
        if (!(await repo.updateContactAccess(tx, id, access))) throw notFound('Contact', id);
        return getIn(tx, id);
      });
    },

    /**
     * Links a contact to another: from now on its identities resolve to `into` (or to the contact
     * `into` is merged into), so both share sessions, memories and access. Nothing is moved, so
     * `unmerge` gives the contact back exactly what it had; contacts merged into it follow it.
     */
    async merge(scope: Scope, id: ContactId, into: ContactId): Promise<Contact> {
      requireOwner(scope, 'merge contacts');
      if (id === into) throw new AppError('invalid_input', 'A contact cannot be merged into itself');
      return db.transaction(scope, async (tx) => {
        await repo.serializeMerges(tx);
        const locked = await repo.lockContacts(tx, [id, into]);
        const source = locked.find((contact) => contact.id === id);
        const target = locked.find((contact) => contact.id === into);
        if (!source) throw notFound('Contact', id);
        if (!target) throw notFound('Contact', into);
        const root = target.mergedInto ?? target.id;
        if (root === id) throw new AppError('conflict', `Contact ${into} is merged into ${id}: unmerge it first`);
        if (source.kind !== target.kind) throw new AppError('invalid_input', `A ${source.kind} contact cannot be merged into a ${target.kind} contact`);
        await repo.setMergedInto(tx, id, root);
        return getIn(tx, id);
      });
    },

    /** Undoes a merge: the contact's own identities resolve to it again. */
    async unmerge(scope: Scope, id: ContactId): Promise<Contact> {
      requireOwner(scope, 'unmerge contacts');
      return db.transaction(scope, async (tx) => {
        await repo.serializeMerges(tx);
        const [contact] = await repo.lockContacts(tx, [id]);
        if (!contact) throw notFound('Contact', id);
        if (!contact.mergedInto) throw new AppError('conflict', `Contact ${id} is not merged into another contact`);
        await repo.clearMergedInto(tx, id);
        return getIn(tx, id);
      });
    },

    /** Erases the contact (and contacts merged into it) from every table, then its files; returns what was deleted. */
    async forget(scope: Scope, id: ContactId): Promise<ForgetResult> {
      requireOwner(scope, 'erase contacts');
      const rows = await db.transaction(scope, async (tx) => {
        const family = await repo.findMergedFamily(tx, id);
        if (family.length === 0) throw notFound('Contact', id);
        const deleted: Record<string, number> = {};
        for (const erase of erasers) Object.assign(deleted, await erase(tx, family));
        Object.assign(deleted, await repo.eraseContacts(tx, family));
        return { family, deleted };
      });
      if (!files) return { contactId: id, deleted: rows.deleted };
      // The rows are gone whatever happens to the files: a failure is reported, not thrown.
      const erased = await files.erase(scope.tenantId, rows.family).catch((error: unknown) => ({ removed: 0, failed: [`${id}: ${String(error)}`] }));
      for (const failure of erased.failed) log.error({ contactId: id, failure }, `erasing contact ${id}: could not delete a file`);
      const deleted = { ...rows.deleted, files: erased.removed };
      return { contactId: id, deleted, ...(erased.failed.length > 0 ? { filesNotDeleted: erased.failed } : {}) };
    },
  };
}

async function getIn(tx: ScopedTx, id: ContactId): Promise<Contact> {
  const contact = await repo.findContact(tx, id);
  if (!contact) throw notFound('Contact', id);
  return contact;
}
