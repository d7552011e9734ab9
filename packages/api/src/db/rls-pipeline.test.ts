/**
 * Row-level security of the pipeline tables (inbound_events, turn_queue, outbox, pairing_requests,
 * rate_buckets), probed with raw SQL as `sb_app`: contacts A and B and group G of one tenant and a
 * contact of a second tenant each get rows through the inbound service (A and B a finished turn
 * too, the rest left queued); then each kind of transaction (a contact's, no scope, the worker's)
 * reads and writes them.
 */
import { randomUUID } from 'node:crypto';
import type { AgentId, ContactId, InboundMessage, TenantId } from '@switchboard/shared';
import { describeEachEngine, type TestEnv } from '../../../../test/engines';
import { runEchoTurn } from '../../../../test/echo-turns';
import { contactScope, ownerScope, type Scope } from './scope';
import type { SqlRunner } from './db';

const PIPELINE = ['inbound_events', 'turn_queue', 'outbox', 'pairing_requests', 'rate_buckets'] as const;
const CONTACT_READABLE = ['inbound_events', 'turn_queue', 'outbox'] as const;
const OWNER_ONLY = ['pairing_requests', 'rate_buckets'] as const;
const OWNER_ONLY_CHANGE: Record<(typeof OWNER_ONLY)[number], string> = {
  pairing_requests: 'created_at = now()',
  rate_buckets: 'tokens = 1000',
};

class Rollback extends Error {}

/** Runs fn in a transaction and rolls it back, so probes that write leave nothing behind. */
async function probe<T>(open: (fn: (tx: SqlRunner) => Promise<never>) => Promise<unknown>, fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
  let result: T | undefined;
  await open(async (tx) => {
    result = await fn(tx);
    throw new Rollback();
  }).catch((error: unknown) => {
    if (!(error instanceof Rollback)) throw error;
  });
  return result as T;
}

const asContact = (env: TestEnv, scope: Scope) => (fn: (tx: SqlRunner) => Promise<never>) => env.db.transaction(scope, fn);
const unscoped = (env: TestEnv) => (fn: (tx: SqlRunner) => Promise<never>) => env.db.unscopedTransaction(fn);
const asWorker = (env: TestEnv) => (fn: (tx: SqlRunner) => Promise<never>) => env.db.workerTransaction(fn);

async function count(tx: SqlRunner, table: string, where = 'true', params: unknown[] = []): Promise<number> {
  const { rows } = await tx.query<{ n: number }>(`select count(*)::int as n from ${table} where ${where}`, params);
  return rows[0]!.n;
}

const RLS_REJECTION = /row-level security|permission denied|violates/;

describeEachEngine('row-level security of the pipeline tables', (env) => {
  const ids = {} as { a: ContactId; b: ContactId; group: ContactId; other: ContactId; otherTenant: TenantId; agent: AgentId };

  async function accept(tenantId: TenantId, message: Omit<InboundMessage, 'messageId' | 'channel'>) {
    return env.services.inbound.accept({ kind: 'owner', tenantId }, { channel: 'telegram', messageId: randomUUID(), ...message });
  }

  beforeAll(async () => {
    const { agents, memories } = env.services;
    const [other] = await env.admin<{ id: TenantId }>(`insert into tenants (slug) values ('pipeline-second') returning id`);
    ids.otherTenant = other!.id;
    await env.admin(`insert into agents (tenant_id, name, provider) values ($1, 'default', 'echo')`, [ids.otherTenant]);
    ids.agent = (await agents.getByName(env.owner, 'default')).id;

    // A finished turn each for A and B (a transcript, for the worker to not see), before the queued ones.
    const said = [];
    for (const sender of ['rp-a', 'rp-b']) said.push(await runEchoTurn(env, { channel: 'telegram', sender: { id: sender }, text: 'said' }));
    // Open policy: queued events, their queue rows and a rate bucket per contact.
    const a = await accept(env.tenantId, { sender: { id: 'rp-a' }, text: 'hello from A' });
    const b = await accept(env.tenantId, { sender: { id: 'rp-b' }, text: 'hello from B' });
    const g = await accept(env.tenantId, { chat: { id: '-100rp', type: 'group' }, sender: { id: 'rp-a' }, text: 'hi group', mentioned: true });
    const c = await accept(ids.otherTenant, { sender: { id: 'rp-a' }, text: 'hello from the other tenant' });
    for (const accepted of [a, b, g, c]) expect(accepted.status).toBe('queued');
    // Pairing policy: a pairing request and an outbox row (the code) per person.
    await agents.update(env.owner, 'default', { dmPolicy: 'pairing' });
    for (const sender of ['rp-a', 'rp-b']) {
      expect(await accept(env.tenantId, { sender: { id: sender }, text: 'let me in' })).toMatchObject({ reason: 'pairing_pending' });
    }
    await agents.update(env.owner, 'default', { dmPolicy: 'open' });
    ids.a = a.contactId!;
    ids.b = b.contactId!;
    ids.group = g.contactId!;
    ids.other = c.contactId!;
    expect(said.map((turn) => turn.contactId)).toEqual([ids.a, ids.b]);

    // Memories, for the worker to not see.
    for (const contactId of [ids.a, ids.b]) {
      await memories.remember(contactScope(env.tenantId, contactId), { content: `fact of ${contactId}` });
    }
  });

  it('has rows of both A and B in every pipeline table to probe', async () => {
    for (const table of PIPELINE) {
      const rows = await env.admin<{ contact: string }>(`select contact_id::text as contact from ${table} where tenant_id = $1`, [env.tenantId]);
      const contacts = new Set(rows.map((row) => row.contact));
      expect({ table, a: contacts.has(ids.a), b: contacts.has(ids.b) }).toEqual({ table, a: true, b: true });
    }
  });

  it.each(CONTACT_READABLE)('lets contact B read only its own rows of %s', async (table) => {
    const [own] = await env.admin<{ n: number }>(`select count(*)::int as n from ${table} where tenant_id = $1 and contact_id = $2`, [env.tenantId, ids.b]);
    expect(own!.n).toBeGreaterThan(0);
    const seen = await probe(asContact(env, contactScope(env.tenantId, ids.b)), async (tx) =>
      (await tx.query<{ contact: string }>(`select contact_id::text as contact from ${table}`)).rows.map((row) => row.contact));
    expect(seen).toEqual(Array.from({ length: own!.n }, () => ids.b));
  });

  it.each(CONTACT_READABLE)("lets contact B update and delete none of A's or the group's rows of %s", async (table) => {
    const scope = contactScope(env.tenantId, ids.b);
    const change = table === 'turn_queue' ? 'attempts = 99' : "text = 'hijacked'";
    for (const victim of [ids.a, ids.group, ids.other]) {
      const changed = await probe(asContact(env, scope), async (tx) => [
        (await tx.query(`update ${table} set ${change} where contact_id = $1`, [victim])).rowCount,
        (await tx.query(`delete from ${table} where contact_id = $1`, [victim])).rowCount,
      ]);
      expect({ table, victim, changed }).toEqual({ table, victim, changed: [0, 0] });
    }
    // B cannot move its own rows to A either.
    await expect(probe(asContact(env, scope), (tx) => tx.query(`update ${table} set contact_id = $1 where contact_id = $2`, [ids.a, ids.b])))
      .rejects.toThrow(RLS_REJECTION);
  });

  it("rejects contact B's inserts of rows that belong to A", async () => {
    const scope = contactScope(env.tenantId, ids.b);
    const inserts: Array<[string, unknown[]]> = [
      [
        `insert into inbound_events (tenant_id, agent_id, contact_id, channel, account_key, chat_id, chat_type, platform_message_id, text, status)
         values ($1, $2, $3, 'telegram', 'default', 'rp-a', 'direct', 'planted', 'planted', 'queued')`,
        [env.tenantId, ids.agent, ids.a],
      ],
      [`insert into turn_queue (tenant_id, event_id, contact_id, lane) values ($1, gen_random_uuid(), $2, 'planted')`, [env.tenantId, ids.a]],
      [
        `insert into outbox (tenant_id, event_id, contact_id, channel, account_key, chat_id, text)
         values ($1, gen_random_uuid(), $2, 'telegram', 'default', 'rp-a', 'planted')`,
        [env.tenantId, ids.a],
      ],
      [`insert into pairing_requests (tenant_id, code, contact_id) values ($1, 'PLANTED1', $2)`, [env.tenantId, ids.a]],
      [`insert into rate_buckets (tenant_id, contact_id, tokens) values ($1, $2, 1000)`, [env.tenantId, ids.a]],
    ];
    for (const [sql, params] of inserts) {
      await expect(probe(asContact(env, scope), (tx) => tx.query(sql, params))).rejects.toThrow(RLS_REJECTION);
    }
  });

  it.each(OWNER_ONLY)('hides %s from every contact, its own rows included, and lets none change them', async (table) => {
    const [all] = await env.admin<{ n: number }>(`select count(*)::int as n from ${table} where tenant_id = $1`, [env.tenantId]);
    expect(all!.n).toBeGreaterThan(0);
    for (const contactId of [ids.a, ids.b, ids.group]) {
      const result = await probe(asContact(env, contactScope(env.tenantId, contactId)), async (tx) => ({
        seen: await count(tx, table),
        updated: (await tx.query(`update ${table} set ${OWNER_ONLY_CHANGE[table]}`)).rowCount,
        deleted: (await tx.query(`delete from ${table}`)).rowCount,
      }));
      expect({ table, contactId, result }).toEqual({ table, contactId, result: { seen: 0, updated: 0, deleted: 0 } });
    }
    const owner = await probe(asContact(env, ownerScope(env.tenantId)), (tx) => count(tx, table));
    expect(owner).toBe(all!.n);
  });

  it('sees zero rows of every pipeline table in a transaction with no scope', async () => {
    for (const table of PIPELINE) {
      const [all] = await env.admin<{ n: number }>(`select count(*)::int as n from ${table}`);
      expect(all!.n).toBeGreaterThan(0);
      const result = await probe(unscoped(env), async (tx) => ({
        seen: await count(tx, table),
        deleted: (await tx.query(`delete from ${table}`)).rowCount,
      }));
      expect({ table, result }).toEqual({ table, result: { seen: 0, deleted: 0 } });
    }
  });

  it('lets the worker see and claim the turn queue of every tenant, but no content of any table', async () => {
    const queue = await env.admin<{ tenant: string }>('select tenant_id::text as tenant from turn_queue');
    expect(new Set(queue.map((row) => row.tenant))).toEqual(new Set([env.tenantId, ids.otherTenant]));
    const worker = await probe(asWorker(env), async (tx) => ({
      queued: await count(tx, 'turn_queue'),
      claimed: (await tx.query(`update turn_queue set claimed_by = gen_random_uuid(), lease_until = now() + interval '1 minute'`)).rowCount,
      deleted: (await tx.query('delete from turn_queue')).rowCount,
    }));
    expect(worker).toEqual({ queued: queue.length, claimed: queue.length, deleted: 0 });

    for (const table of ['inbound_events', 'outbox', 'memories', 'messages', 'pairing_requests', 'rate_buckets']) {
      const [all] = await env.admin<{ n: number }>(`select count(*)::int as n from ${table}`);
      expect(all!.n).toBeGreaterThan(0);
      expect({ table, seen: await probe(asWorker(env), (tx) => count(tx, table)) }).toEqual({ table, seen: 0 });
    }
    await expect(probe(asWorker(env), (tx) =>
      tx.query(`insert into turn_queue (tenant_id, event_id, contact_id, lane) values ($1, gen_random_uuid(), $2, 'planted')`, [env.tenantId, ids.a]),
    )).rejects.toThrow(RLS_REJECTION);
  });
});
