/**
 * The contact repository's new pieces on both engines: an identity keeps its kind (a conflict
 * rolls back what the resolve wrote), and the tenant's new-contact bucket takes whole counts, refills
 * with time and is the owner's alone (a contact scope can neither read nor write it).
 */
import { randomUUID } from 'node:crypto';
import { isAppError, type ContactId } from '@switchboard/shared';
import { describeEachEngine } from '../../../../test/engines';
import { contactScope } from '../db/scope';
import { resolveIdentity, takeNewContactTokens } from './contact-repo';

describeEachEngine('contact repo', (env) => {
  const take = (count: number, burst: number, perMinute: number) =>
    env.db.transaction(env.owner, (tx) => takeNewContactTokens(tx, count, { burst, perMinute }));

  beforeEach(() => env.admin('delete from new_contact_buckets'));

  it('refuses to resolve an identity as the other kind with a conflict, and the transaction keeps nothing', async () => {
    const id = `kind-${randomUUID()}`;
    await env.db.transaction(env.owner, (tx) => resolveIdentity(tx, { channel: 'discord', externalId: id, kind: 'group', displayName: 'Room' }));
    const failure = await env.db.transaction(env.owner, async (tx) => {
      await resolveIdentity(tx, { channel: 'discord', externalId: `new-${id}`, kind: 'person' });
      return resolveIdentity(tx, { channel: 'discord', externalId: id, kind: 'person', displayName: 'Renamed' });
    }).then(() => undefined, (error: unknown) => error);
    expect(isAppError(failure, 'conflict')).toBe(true);
    expect(await env.admin('select count(*)::int as n from contact_identities where external_id = $1', [`new-${id}`])).toEqual([{ n: 0 }]);
    expect(await env.admin(`select c.kind, c.display_name from contacts c join contact_identities i on i.tenant_id = c.tenant_id and i.contact_id = c.id
      where i.external_id = $1`, [id])).toEqual([{ kind: 'group', display_name: 'Room' }]);
  });

  it('takes whole counts while they last and leaves an empty bucket untouched', async () => {
    expect(await take(2, 3, 0.0001)).toBe(true);
    expect(await take(2, 3, 0.0001)).toBe(false);
    expect(await take(1, 3, 0.0001)).toBe(true);
    expect(await take(1, 3, 0.0001)).toBe(false);
    expect(await take(4, 3, 1_000_000)).toBe(false); // more than a full bucket holds
  });

  it('refills with time at the per-minute rate, up to the burst', async () => {
    expect(await take(3, 3, 60_000)).toBe(true); // 1000 a second
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await take(3, 3, 60_000)).toBe(true);
    const [row] = await env.admin<{ tokens: number }>('select tokens from new_contact_buckets where tenant_id = $1', [env.tenantId]);
    expect(row!.tokens).toBeGreaterThanOrEqual(0);
    expect(row!.tokens).toBeLessThan(1);
  });

  it('is invisible and unwritable to a contact’s scope', async () => {
    expect(await take(1, 10, 1)).toBe(true);
    const contactId = (await env.services.contacts.resolve(env.owner, { channel: 'discord', externalId: `b-${randomUUID()}`, kind: 'person' })).contactId as ContactId;
    const asContact = contactScope(env.tenantId, contactId);
    const seen = await env.db.transaction(asContact, (tx) => tx.query('select * from new_contact_buckets'));
    expect(seen.rows).toEqual([]);
    const update = await env.db.transaction(asContact, (tx) => tx.query('update new_contact_buckets set tokens = 1000'));
    expect(update.rowCount).toBe(0);
    await expect(env.db.transaction(asContact, (tx) => takeNewContactTokens(tx, 1, { burst: 1000, perMinute: 1 }))).rejects.toThrow(/row-level security/);
    expect(await env.admin<{ tokens: number }>('select tokens::int as tokens from new_contact_buckets')).toEqual([{ tokens: 9 }]);
  });
});
