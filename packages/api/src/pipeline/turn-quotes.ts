/**
 * The contacts whose memories a turn was shown, in its context or through a recall: recorded on
 * its reply, so erasing one of them redacts a reply that may repeat what they left. The turn's own
 * scope is left out (its erasure removes the whole transcript anyway).
 */
import type { ContactId, Memory } from '@switchboard/shared';
import { scopeContactId, type Scope } from '../db/scope';

export interface TurnQuotes {
  note(memories: readonly Memory[]): void;
  ids(): ContactId[];
}

export function createTurnQuotes(scope: Scope): TurnQuotes {
  const own = scopeContactId(scope);
  const quoted = new Set<ContactId>();
  return {
    note(memories) {
      for (const memory of memories) {
        for (const id of [memory.contactId, memory.authorContactId]) if (id !== null && id !== own) quoted.add(id);
      }
    },
    ids: () => [...quoted],
  };
}
