/**
 * Pairing: under an agent's `pairing` DM policy a new sender gets a code; the owner approves the
 * code, which marks the contact `allowed`. Approving is the owner's alone.
 */
import { notFound, type ContactId, type PairingRequest } from '@switchboard/shared';
import type { Db, ScopedTx } from '../db/db';
import type { Scope } from '../db/scope';
import { requireOwner } from '../db/scope-sql';
import type { ContactEraser } from '../contacts/contact-service';
import * as contactRepo from '../contacts/contact-repo';
import * as repo from './pairing-repo';

export type PairingService = ReturnType<typeof createPairingService>;

export function createPairingService(deps: { db: Db }) {
  const { db } = deps;
  return {
    async list(scope: Scope): Promise<PairingRequest[]> {
      requireOwner(scope, 'list pairing requests');
      return db.transaction(scope, (tx) => repo.listPairings(tx));
    },

    /** Approves a pending code: the contact is allowed from now on. */
    async approve(scope: Scope, code: string): Promise<ContactId> {
      requireOwner(scope, 'approve pairing requests');
      const normalized = code.trim().toUpperCase();
      // One transaction: the code is used up exactly when the contact becomes allowed.
      return db.transaction(scope, async (tx) => {
        const contactId = await repo.takePairing(tx, normalized);
        if (!contactId) throw notFound('Pairing code', normalized);
        await contactRepo.updateContactAccess(tx, contactId, 'allowed');
        return contactId;
      });
    },

    eraseContact: ((tx: ScopedTx, contactIds: ContactId[]) => repo.erasePairings(tx, contactIds)) satisfies ContactEraser,
  };
}
