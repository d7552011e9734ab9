/**
 * Who reads the outbox, on both engines: the owner every row; a gateway reader only rows of an
 * account whose channel lease its holder has (else 403 for a listing or claim, 404 by id); a
 * contact's scope only its own rows (the by-id lookup included).
 */
import { randomUUID } from 'node:crypto';
import { isAppError, type ContactId } from '@switchboard/shared';
import { describeEachEngine } from '../../../../test/engines';
import { contactScope } from '../db/scope';
import { accountExists, holdsLease } from '../channels/channel-repo';
import { findOutboxItem, insertOutboxItem } from './outbox-repo';

describeEachEngine('outbox readers', (env) => {
  const accounts = ['leased', 'unleased'];
  const ids: Record<string, ContactId> = {};

  beforeAll(async () => {
    for (const accountId of accounts) await env.services.channels.add(env.owner, { channel: 'whatsapp', accountId });
    await env.services.channels.takeLease(env.owner, 'whatsapp', 'leased', { holder: 'me', ttlMs: 60_000 });
    await env.services.channels.takeLease(env.owner, 'whatsapp', 'unleased', { holder: 'them', ttlMs: 60_000 });
    for (const name of ['a', 'b']) {
      ids[name] = (await env.services.contacts.resolve(env.owner, { channel: 'whatsapp', externalId: `${name}-${randomUUID()}`, kind: 'person' })).contactId;
    }
    await env.db.transaction(env.owner, async (tx) => {
      for (const accountKey of accounts) {
        await insertOutboxItem(tx, { eventId: randomUUID(), contactId: ids.a!, channel: 'whatsapp', accountKey, chatId: 'a-chat', threadKey: '', replyTo: null, text: `to a via ${accountKey}` });
      }
    });
  });

  const me = { kind: 'gateway', holder: 'me' } as const;

  it('lists and claims for a gateway only the accounts its holder leases', async () => {
    expect((await env.services.outbox.list(env.owner, { limit: 100 })).map((item) => item.accountId).sort()).toEqual(accounts);
    expect((await env.services.outbox.list(env.owner, { channel: 'whatsapp', accountKey: 'leased' }, me)).map((item) => item.text)).toEqual(['to a via leased']);
    for (const filter of [{}, { channel: 'whatsapp' as const }, { channel: 'whatsapp' as const, accountKey: 'unleased' }]) {
      const failure = await env.services.outbox.list(env.owner, filter, me).catch((error: unknown) => error);
      expect(isAppError(failure, 'forbidden')).toBe(true);
    }
    const noHolder = await env.services.outbox.claim(env.owner, { channel: 'whatsapp', account: 'leased' }, undefined, { kind: 'gateway', holder: undefined })
      .catch((error: unknown) => error);
    expect(isAppError(noHolder, 'forbidden')).toBe(true);
  });

  it('acks by id for a gateway only items of its leased accounts (404 otherwise)', async () => {
    const [theirs] = await env.services.outbox.list(env.owner, { accountKey: 'unleased' });
    const failure = await env.services.outbox.ack(env.owner, theirs!.id, me).catch((error: unknown) => error);
    expect(isAppError(failure, 'not_found')).toBe(true);
    expect((await env.services.outbox.list(env.owner, { accountKey: 'unleased' })).map((item) => item.status)).toEqual(['pending']);
  });

  it('shows contact B none of contact A’s items by id', async () => {
    const [item] = await env.services.outbox.list(env.owner, { accountKey: 'leased' });
    expect(await env.db.transaction(contactScope(env.tenantId, ids.a!), (tx) => findOutboxItem(tx, item!.id))).toMatchObject({ id: item!.id });
    expect(await env.db.transaction(contactScope(env.tenantId, ids.b!), (tx) => findOutboxItem(tx, item!.id))).toBeUndefined();
  });

  it('answers the account and lease lookups for the owner only: a contact’s scope sees no account and no lease', async () => {
    expect(await env.db.transaction(env.owner, (tx) => accountExists(tx, 'whatsapp', 'leased'))).toBe(true);
    expect(await env.db.transaction(env.owner, (tx) => holdsLease(tx, 'whatsapp', 'leased', 'me'))).toBe(true);
    const asContact = contactScope(env.tenantId, ids.a!);
    expect(await env.db.transaction(asContact, (tx) => accountExists(tx, 'whatsapp', 'leased'))).toBe(false);
    expect(await env.db.transaction(asContact, (tx) => holdsLease(tx, 'whatsapp', 'leased', 'me'))).toBe(false);
  });
});
