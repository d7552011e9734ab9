/**
 * `db.call`: one statement in a transaction of its own that enters the scope it is given, on both
 * engines. A probe function (created by the test as the schema owner, SECURITY INVOKER like the
 * pipeline's) reports the role and settings it runs with and the contacts row-level security lets
 * it see; the settings end with the call.
 */
import { randomUUID } from 'node:crypto';
import type { ContactId } from '@switchboard/shared';
import { describeEachEngine } from '../../../../test/engines';
import { contactScope } from './scope';

interface Probe {
  role: string;
  tenant: string;
  contact: string;
  owner: string;
  contacts: number;
}

const PROBE = 'select app.test_scope_probe($1::uuid, $2::uuid, $3::boolean) as probe';

describeEachEngine('one-statement calls in a scope', (env) => {
  const ids = {} as { a: ContactId; b: ContactId };

  beforeAll(async () => {
    await env.admin(`
      create function app.test_scope_probe(tenant uuid, contact uuid, owner boolean) returns json
        language plpgsql as $$
      begin
        perform app.enter_scope(tenant, contact, owner);
        return json_build_object('role', current_user, 'tenant', current_setting('app.tenant_id'),
          'contact', current_setting('app.contact_id'), 'owner', current_setting('app.is_owner'),
          'contacts', (select count(*) from contacts));
      end $$`);
    for (const key of ['a', 'b'] as const) {
      const [row] = await env.admin<{ id: ContactId }>(
        `insert into contacts (tenant_id, kind, display_name) values ($1, 'person', $2) returning id`, [env.tenantId, key],
      );
      ids[key] = row!.id;
    }
  });

  async function probe(scope: Parameters<typeof env.db.call>[0]): Promise<Probe> {
    const { rows } = await env.db.call<{ probe: Probe }>(scope, PROBE, []);
    return rows[0]!.probe;
  }

  it('runs as sb_app with the settings of a contact scope, which sees its own contact only', async () => {
    expect(await probe(contactScope(env.tenantId, ids.a))).toEqual({ role: 'sb_app', tenant: env.tenantId, contact: ids.a, owner: 'false', contacts: 1 });
  });

  it("runs with the owner's settings in the owner's scope, which sees the tenant's contacts", async () => {
    const seen = await probe(env.owner);
    expect(seen).toMatchObject({ role: 'sb_app', tenant: env.tenantId, contact: '', owner: 'true' });
    expect(seen.contacts).toBeGreaterThanOrEqual(2);
  });

  it('sees nothing of a tenant the scope is not in', async () => {
    expect(await probe(contactScope(randomUUID() as never, ids.a))).toMatchObject({ contacts: 0 });
  });

  it('leaves neither the role nor the scope behind once the call ends', async () => {
    await probe(contactScope(env.tenantId, ids.a));
    const { rows } = await env.db.unscopedTransaction((tx) =>
      tx.query<{ contact: string; n: number }>(`select coalesce(current_setting('app.contact_id', true), '') as contact, (select count(*)::int from contacts) as n`));
    expect(rows[0]).toEqual({ contact: '', n: 0 });
  });

  it('refuses a scope that is both the owner and a contact, or neither', async () => {
    const both = env.db.call(env.owner, 'select app.enter_scope($1::uuid, coalesce($2::uuid, $4::uuid), $3::boolean)', [ids.a]);
    await expect(both).rejects.toThrow(/a scope is a tenant and either the owner or one contact/);
    const neither = env.db.call(env.owner, 'select app.enter_scope($1::uuid, $2::uuid, $3::boolean and false)', []);
    await expect(neither).rejects.toThrow(/a scope is a tenant and either the owner or one contact/);
  });
});
