/**
 * The outbox: replies waiting for a channel adapter to deliver them. A gateway claims the due
 * replies of its account (a lease, so two gateways never send the same row), waiting a while
 * when there are none; acks each sent one; reports a failed send, which comes back after a backoff
 * or is parked after the last attempt for the owner to see and retry.
 */
import { EventEmitter, once } from 'node:events';
import { AppError, MAX_DELIVERY_ATTEMPTS, notFound, OutboxClaim, type ContactId, type OutboxFailure, type OutboxItem } from '@switchboard/shared';
import type { Db, ScopedTx } from '../db/db';
import type { Scope } from '../db/scope';
import type { ContactEraser } from '../contacts/contact-service';
import * as repo from './outbox-repo';

export type OutboxService = ReturnType<typeof createOutboxService>;

/** Without a wake-up from this process, a waiting claim looks again this often. */
const CLAIM_POLL_MS = 500;

export function createOutboxService(deps: { db: Db }) {
  const { db } = deps;
  const added = new EventEmitter();
  added.setMaxListeners(0);
  return {
    /** Wakes waiting claims: this process just queued a reply. */
    notify(): void {
      added.emit('added');
    },

    async claim(scope: Scope, input: OutboxClaim, signal?: AbortSignal): Promise<OutboxItem[]> {
      const claim = OutboxClaim.parse(input);
      const deadline = Date.now() + claim.waitMs;
      const query = { channel: claim.channel, accountKey: claim.account, limit: claim.limit, leaseMs: claim.leaseMs };
      for (;;) {
        if (signal?.aborted) return []; // the claimer went away: lease nothing to it
        const items = await db.transaction(scope, (tx) => repo.claimOutbox(tx, query));
        const left = deadline - Date.now();
        if (items.length > 0 || left <= 0 || signal?.aborted) return items;
        const wait = AbortSignal.any([AbortSignal.timeout(Math.min(left, CLAIM_POLL_MS)), ...(signal ? [signal] : [])]);
        await once(added, 'added', { signal: wait }).catch(() => undefined); // woken, timed out or abandoned: look again
      }
    },

    async fail(scope: Scope, id: string, failure: OutboxFailure): Promise<OutboxItem> {
      const change = { error: failure.error, permanent: failure.permanent ?? false, maxAttempts: MAX_DELIVERY_ATTEMPTS };
      const item = await db.transaction(scope, (tx) => repo.failOutboxItem(tx, id, change));
      if (!item) throw notFound('Pending outbox item', id);
      return item;
    },

    async retry(scope: Scope, id: string): Promise<OutboxItem> {
      const item = await db.transaction(scope, (tx) => repo.retryOutboxItem(tx, id));
      if (!item) throw new AppError('not_found', `No parked (failed) outbox item ${id}`);
      return item;
    },

    list(scope: Scope, filter: Partial<repo.OutboxFilter> = {}): Promise<OutboxItem[]> {
      return db.transaction(scope, (tx) => repo.listOutbox(tx, { status: 'pending', limit: 100, ...filter }));
    },

    async ack(scope: Scope, id: string): Promise<OutboxItem> {
      const item = await db.transaction(scope, (tx) => repo.ackOutboxItem(tx, id));
      if (!item) throw notFound('Outbox item', id);
      return item;
    },

    eraseContact: ((tx: ScopedTx, contactIds: ContactId[]) => repo.eraseOutbox(tx, contactIds)) satisfies ContactEraser,
  };
}
