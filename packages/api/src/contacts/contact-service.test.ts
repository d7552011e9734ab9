import { randomUUID } from 'node:crypto';
import { isAppError, type ContactId, type TenantId } from '@switchboard/shared';
import { describeEachEngine } from '../../../../test/engines';
import { contactScope, ownerScope } from '../db/scope';

/** A fresh external id, so tests sharing one database never meet each other's identities. */
function externalId(label: string): string {
  return `${label}-${randomUUID()}`;
}

/** The error a call fails with, whether it throws at once or rejects. */
async function caught(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describeEachEngine('contact service', (env) => {
  const contacts = () => env.services.contacts;

  async function countRows(tenantId: TenantId, channel: string, id: string) {
    const [identities] = await env.admin<{ n: number; contacts: number }>(
      `select count(*)::int as n, count(distinct contact_id)::int as contacts
       from contact_identities where tenant_id = $1 and channel = $2 and external_id = $3`,
      [tenantId, channel, id],
    );
    const [made] = await env.admin<{ n: number }>(
      `select count(*)::int as n from contacts c where c.tenant_id = $1 and c.id in
         (select contact_id from contact_identities where tenant_id = $1 and channel = $2 and external_id = $3)`,
      [tenantId, channel, id],
    );
    return { identities: identities!.n, contactsOfIdentity: identities!.contacts, contacts: made!.n };
  }

  it('creates a person contact on first sight and returns the same contact afterwards', async () => {
    const id = externalId('first-sight');
    const first = await contacts().resolve(env.owner, { channel: 'telegram', externalId: id, kind: 'person', displayName: 'Ada' });
    expect(first.created).toBe(true);

    const again = await contacts().resolve(env.owner, { channel: 'telegram', externalId: id, kind: 'person' });
    expect(again).toEqual({ contactId: first.contactId, ownContactId: first.contactId, created: false, access: 'default' });

    const contact = await contacts().get(env.owner, first.contactId);
    expect(contact).toMatchObject({
      id: first.contactId,
      kind: 'person',
      displayName: 'Ada',
      mergedInto: null,
      identities: [{ channel: 'telegram', externalId: id }],
    });
    expect(contact.createdAt).toBeInstanceOf(Date);
  });

  it('lists every identity of a contact through get', async () => {
    const telegramId = externalId('multi-tg');
    const whatsappId = externalId('multi-wa');
    const { contactId } = await contacts().resolve(env.owner, { channel: 'telegram', externalId: telegramId, kind: 'person' });
    await env.admin(
      `insert into contact_identities (tenant_id, channel, external_id, contact_id) values ($1, 'whatsapp', $2, $3)`,
      [env.tenantId, whatsappId, contactId],
    );

    const contact = await contacts().get(env.owner, contactId);
    expect(contact.identities).toHaveLength(2);
    expect(contact.identities).toEqual(expect.arrayContaining([
      { channel: 'telegram', externalId: telegramId },
      { channel: 'whatsapp', externalId: whatsappId },
    ]));
    expect(await contacts().resolve(env.owner, { channel: 'whatsapp', externalId: whatsappId, kind: 'person' }))
      .toEqual({ contactId, ownContactId: contactId, created: false, access: 'default' });
  });

  it('ends 50 concurrent first messages of one sender with exactly one contact and one identity', async () => {
    const id = externalId('burst');
    const results = await Promise.all(
      Array.from({ length: 50 }, () => contacts().resolve(env.owner, { channel: 'whatsapp', externalId: id, kind: 'person' })),
    );

    const contactIds = new Set(results.map((result) => result.contactId));
    expect(contactIds.size).toBe(1);
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(await countRows(env.tenantId, 'whatsapp', id)).toEqual({ identities: 1, contactsOfIdentity: 1, contacts: 1 });
    const [orphans] = await env.admin<{ n: number }>(
      `select count(*)::int as n from contacts c where c.tenant_id = $1
       and not exists (select 1 from contact_identities i where i.tenant_id = c.tenant_id and i.contact_id = c.id)`,
      [env.tenantId],
    );
    expect(orphans!.n).toBe(0);
  }, 60_000);

  it('resolves a group chat to a group contact and its speaker to a person, linked once', async () => {
    const groupId = externalId('group');
    const senderId = externalId('speaker');
    const group = { channel: 'telegram' as const, externalId: groupId, displayName: 'Book club' };
    const sender = { channel: 'telegram' as const, externalId: senderId, displayName: 'Grace' };

    const first = await contacts().resolveGroupMember(env.owner, group, sender);
    expect(first.groupId).not.toBe(first.memberId);
    expect(await contacts().get(env.owner, first.groupId)).toMatchObject({ kind: 'group', displayName: 'Book club' });
    expect(await contacts().get(env.owner, first.memberId)).toMatchObject({ kind: 'person', displayName: 'Grace' });

    const again = await contacts().resolveGroupMember(env.owner, group, sender);
    expect(again).toEqual(first);

    const members = await env.admin<{ group_contact_id: string; member_contact_id: string }>(
      `select group_contact_id, member_contact_id from group_members
       where tenant_id = $1 and (group_contact_id = $2 or member_contact_id = $3)`,
      [env.tenantId, first.groupId, first.memberId],
    );
    expect(members).toEqual([{ group_contact_id: first.groupId, member_contact_id: first.memberId }]);
    expect(await countRows(env.tenantId, 'telegram', groupId)).toEqual({ identities: 1, contactsOfIdentity: 1, contacts: 1 });
    expect(await countRows(env.tenantId, 'telegram', senderId)).toEqual({ identities: 1, contactsOfIdentity: 1, contacts: 1 });
  });

  it('follows merged_into when resolving an identity of a merged contact', async () => {
    const idA = externalId('merge-a');
    const idB = externalId('merge-b');
    const a = await contacts().resolve(env.owner, { channel: 'discord', externalId: idA, kind: 'person' });
    const b = await contacts().resolve(env.owner, { channel: 'discord', externalId: idB, kind: 'person' });
    expect(b.contactId).not.toBe(a.contactId);

    await env.admin('update contacts set merged_into = $1 where tenant_id = $2 and id = $3', [a.contactId, env.tenantId, b.contactId]);

    expect(await contacts().resolve(env.owner, { channel: 'discord', externalId: idB, kind: 'person' }))
      .toEqual({ contactId: a.contactId, ownContactId: b.contactId, created: false, access: 'default' });
    expect((await contacts().get(env.owner, b.contactId)).mergedInto).toBe(a.contactId);
  });

  it('forbids a contact scope to resolve, lists only itself to it, and hides other contacts as not found', async () => {
    const self = await contacts().resolve(env.owner, { channel: 'web', externalId: externalId('self'), kind: 'person' });
    const other = await contacts().resolve(env.owner, { channel: 'web', externalId: externalId('other'), kind: 'person' });
    const scope = contactScope(env.tenantId, self.contactId);

    const newcomer = externalId('new');
    const forbidden = await caught(() => contacts().resolve(scope, { channel: 'web', externalId: newcomer, kind: 'person' }));
    expect(isAppError(forbidden, 'forbidden')).toBe(true);
    expect(await countRows(env.tenantId, 'web', newcomer)).toEqual({ identities: 0, contactsOfIdentity: 0, contacts: 0 });
    const forbiddenGroup = await caught(() => contacts().resolveGroupMember(
      scope, { channel: 'web', externalId: externalId('g') }, { channel: 'web', externalId: externalId('s') },
    ));
    expect(isAppError(forbiddenGroup, 'forbidden')).toBe(true);

    const listed = await contacts().list(scope);
    expect(listed.map((contact) => contact.id)).toEqual([self.contactId]);
    expect((await contacts().get(scope, self.contactId)).id).toBe(self.contactId);

    const hidden = await caught(() => contacts().get(scope, other.contactId));
    expect(isAppError(hidden, 'not_found')).toBe(true);
  });

  it('lets only the owner merge and unmerge, and another tenant\'s owner gets not found', async () => {
    const a = await contacts().resolve(env.owner, { channel: 'web', externalId: externalId('merge-scope-a'), kind: 'person' });
    const b = await contacts().resolve(env.owner, { channel: 'web', externalId: externalId('merge-scope-b'), kind: 'person' });
    const asB = contactScope(env.tenantId, b.contactId);
    expect(isAppError(await caught(() => contacts().merge(asB, b.contactId, a.contactId)), 'forbidden')).toBe(true);
    expect(isAppError(await caught(() => contacts().merge(asB, a.contactId, b.contactId)), 'forbidden')).toBe(true);

    const [row] = await env.admin<{ id: TenantId }>(`insert into tenants (slug) values ('merge-other') returning id`);
    const otherOwner = ownerScope(row!.id);
    expect(isAppError(await caught(() => contacts().merge(otherOwner, b.contactId, a.contactId)), 'not_found')).toBe(true);
    expect((await contacts().get(env.owner, b.contactId)).mergedInto).toBeNull();

    expect((await contacts().merge(env.owner, b.contactId, a.contactId)).mergedInto).toBe(a.contactId);
    expect(isAppError(await caught(() => contacts().unmerge(asB, b.contactId)), 'forbidden')).toBe(true);
    expect(isAppError(await caught(() => contacts().unmerge(otherOwner, b.contactId)), 'not_found')).toBe(true);
    expect((await contacts().get(env.owner, b.contactId)).mergedInto).toBe(a.contactId);
    expect((await contacts().unmerge(env.owner, b.contactId)).mergedInto).toBeNull();
  });

  it('keeps the same channel identity apart in two tenants', async () => {
    const [row] = await env.admin<{ id: TenantId }>(`insert into tenants (slug) values ('other') returning id`);
    const otherTenant = row!.id;
    const otherOwner = ownerScope(otherTenant);
    const id = externalId('two-tenants');

    const mine = await contacts().resolve(env.owner, { channel: 'telegram', externalId: id, kind: 'person' });
    const theirs = await contacts().resolve(otherOwner, { channel: 'telegram', externalId: id, kind: 'person' });
    expect(mine.created).toBe(true);
    expect(theirs.created).toBe(true);
    expect(theirs.contactId).not.toBe(mine.contactId);

    expect((await contacts().get(otherOwner, theirs.contactId)).id).toBe(theirs.contactId);
    expect(isAppError(await caught(() => contacts().get(otherOwner, mine.contactId)), 'not_found')).toBe(true);
    expect(isAppError(await caught(() => contacts().get(env.owner, theirs.contactId)), 'not_found')).toBe(true);
    expect((await contacts().list(otherOwner)).map((contact) => contact.id)).toEqual([theirs.contactId]);
    expect(await countRows(env.tenantId, 'telegram', id)).toEqual({ identities: 1, contactsOfIdentity: 1, contacts: 1 });
    expect(await countRows(otherTenant, 'telegram', id)).toEqual({ identities: 1, contactsOfIdentity: 1, contacts: 1 });
  });

  it('answers not found for a contact id that does not exist', async () => {
    const missing = randomUUID() as ContactId;
    expect(isAppError(await caught(() => contacts().get(env.owner, missing)), 'not_found')).toBe(true);
  });
});
