/** The outbox: replies waiting for a channel adapter to deliver them, acked once sent. */
import { notFound, type ContactId, type OutboxItem } from '@switchboard/shared';
import type { Db, ScopedTx } from '../db/db';
import type { Scope } from '../db/scope';
import type { ContactEraser } from '../contacts/contact-service';
import * as repo from './outbox-repo';

export type OutboxService = ReturnType<typeof createOutboxService>;

export function createOutboxService(deps: { db: Db }) {
  const { db } = deps;
  return {
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
