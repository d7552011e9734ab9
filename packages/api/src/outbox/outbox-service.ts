/**
 * The outbox: replies waiting for a channel adapter to deliver them. A gateway claims due replies
 * of its account, the oldest of each chat only (a lease: no row goes out twice at once, a chat's
 * replies go out in order), waiting a while (on a timer of its own) when there are none; acks each
 * sent one; reports a failed send, retried after a backoff or parked after the last attempt for the
 * owner to retry. The gateway token reads only accounts whose channel lease its holder has.
 */
import { EventEmitter, once } from 'node:events';
import { AppError, MAX_DELIVERY_ATTEMPTS, notFound, OutboxClaim, timeoutSignal, type ContactId, type OutboxFailure, type OutboxItem } from '@switchboard/shared';
import type { Db, ScopedTx } from '../db/db';
import type { Scope } from '../db/scope';
import type { ContactEraser } from '../contacts/contact-service';
import * as repo from './outbox-repo';

export type OutboxService = ReturnType<typeof createOutboxService>;

/** Who reads the outbox: the owner, or a gateway naming the holder of its channel leases. */
export type OutboxReader = { kind: 'owner' } | { kind: 'gateway'; holder: string | undefined };

/** The channel leases, as the channels component answers for them inside a transaction. */
export interface LeaseCheck {
  holdsLeaseIn(tx: ScopedTx, channel: string, accountId: string, holder: string): Promise<boolean>;
}

const OWNER: OutboxReader = { kind: 'owner' };

/** Without a wake-up from this process, a waiting claim looks again this often. */
const CLAIM_POLL_MS = 500;

export function createOutboxService(deps: { db: Db; leases: LeaseCheck }) {
  const { db, leases } = deps;
  const added = new EventEmitter();
  added.setMaxListeners(0);
  /** Counts wake-ups, so one that comes while a claim is looking is not lost to it. */
  let wakeUps = 0;

  /** Whether the reader may see rows of this account: the owner always, a gateway while its holder has the lease. */
  async function mayRead(tx: ScopedTx, reader: OutboxReader, channel: string, accountId: string): Promise<boolean> {
    if (reader.kind === 'owner') return true;
    return reader.holder !== undefined && leases.holdsLeaseIn(tx, channel, accountId, reader.holder);
  }

  async function requireLease(tx: ScopedTx, reader: OutboxReader, channel: string | undefined, accountId: string | undefined): Promise<void> {
    if (reader.kind === 'owner') return;
    if (channel === undefined || accountId === undefined || !(await mayRead(tx, reader, channel, accountId))) {
      throw new AppError('forbidden', 'The gateway token reads only the outbox of an account whose lease its holder has (channel, account and holder)');
    }
  }

  /** A by-id change, done only when the reader may see the item's account (else undefined: 404). */
  async function changeItem(
    scope: Scope, reader: OutboxReader, id: string, change: (tx: ScopedTx) => Promise<OutboxItem | undefined>,
  ): Promise<OutboxItem | undefined> {
    return db.transaction(scope, async (tx) => {
      if (reader.kind === 'gateway') {
        const item = await repo.findOutboxItem(tx, id);
        if (!item || !(await mayRead(tx, reader, item.channel, item.accountId))) return undefined;
      }
      return change(tx);
    });
  }

  return {
    /** Wakes waiting claims: a reply was queued (by this process, or another one on PostgreSQL). */
    notify(): void {
      wakeUps += 1;
      added.emit('added');
    },

    async claim(scope: Scope, input: OutboxClaim, signal?: AbortSignal, reader: OutboxReader = OWNER): Promise<OutboxItem[]> {
      const claim = OutboxClaim.parse(input);
      const deadline = Date.now() + claim.waitMs;
      const query = { channel: claim.channel, accountKey: claim.account, limit: claim.limit, leaseMs: claim.leaseMs };
      for (;;) {
        if (signal?.aborted) return []; // the claimer went away: lease nothing to it
        const seen = wakeUps;
        const items = await db.transaction(scope, async (tx) => {
          await requireLease(tx, reader, claim.channel, claim.account);
          return repo.claimOutbox(tx, query);
        });
        const left = deadline - Date.now();
        if (items.length > 0 || left <= 0 || signal?.aborted) return items;
        if (wakeUps !== seen) continue; // a reply was queued while this claim looked: look again now
        const wait = timeoutSignal(Math.min(left, CLAIM_POLL_MS), signal);
        await once(added, 'added', { signal: wait.signal }).catch(() => undefined).finally(() => wait.clear()); // woken, timed out or abandoned: look again
      }
    },

    async fail(scope: Scope, id: string, failure: OutboxFailure, reader: OutboxReader = OWNER): Promise<OutboxItem> {
      const change = { error: failure.error, permanent: failure.permanent ?? false, maxAttempts: MAX_DELIVERY_ATTEMPTS };
      const item = await changeItem(scope, reader, id, (tx) => repo.failOutboxItem(tx, id, change));
      if (!item) throw notFound('Pending outbox item', id);
      return item;
    },

    async retry(scope: Scope, id: string): Promise<OutboxItem> {
      const item = await db.transaction(scope, (tx) => repo.retryOutboxItem(tx, id));
      if (!item) throw new AppError('not_found', `No parked (failed) outbox item ${id}`);
      return item;
    },

    list(scope: Scope, filter: Partial<repo.OutboxFilter> = {}, reader: OutboxReader = OWNER): Promise<OutboxItem[]> {
      return db.transaction(scope, async (tx) => {
        await requireLease(tx, reader, filter.channel, filter.accountKey);
        return repo.listOutbox(tx, { status: 'pending', limit: 100, ...filter });
      });
    },

    async ack(scope: Scope, id: string, reader: OutboxReader = OWNER): Promise<OutboxItem> {
      const item = await changeItem(scope, reader, id, (tx) => repo.ackOutboxItem(tx, id));
      if (!item) throw notFound('Outbox item', id);
      return item;
    },

    eraseContact: ((tx: ScopedTx, contactIds: ContactId[]) => repo.eraseOutbox(tx, contactIds)) satisfies ContactEraser,
  };
}
