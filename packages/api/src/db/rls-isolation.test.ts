/**
 * The isolation matrix: the owner, contacts A and B, group G (with member A) and a second tenant
 * each talk to the echo agent (a session and its transcript) and remember through the services,
 * then read and write every scoped table both through the services and through raw SQL as `sb_app`
 * under row-level security.
 */
import { AppError, type ContactId, type MemoryId, type SessionId, type TenantId } from '@switchboard/shared';
import { describeEachEngine, type TestEnv } from '../../../../test/engines';
import { runEchoTurn, type EchoMessage } from '../../../../test/echo-turns';
import { contactScope, ownerScope, type Scope } from './scope';
import type { ScopedTx } from './db';

interface Actor {
  name: string;
  scope: Scope;
  tenantId: TenantId;
  contactId: ContactId | null;
  sessionId?: SessionId;
  memoryId?: MemoryId;
}

/** Which column names the row's contact, per scoped table; `tenant` = readable tenant-wide. */
const TABLES: Record<string, { contact: string | 'tenant' | 'owner-only' | 'self'; id: string }> = {
  tenants: { contact: 'self', id: 'id::text' },
  agents: { contact: 'tenant', id: 'id::text' },
  channel_accounts: { contact: 'owner-only', id: 'id::text' },
  contacts: { contact: 'id', id: 'id::text' },
  contact_identities: { contact: 'contact_id', id: "channel || ':' || external_id" },
  group_members: { contact: 'group_contact_id', id: "group_contact_id || '/' || member_contact_id" },
  sessions: { contact: 'contact_id', id: 'id::text' },
  messages: { contact: 'contact_id', id: 'id::text' },
  memories: { contact: 'contact_id', id: 'id::text' },
  memory_events: { contact: 'contact_id', id: 'id::text' },
};

interface Row {
  id: string;
  tenant: string;
  contact: string | null;
  shared: boolean;
}

function rowSql(table: string): string {
  const spec = TABLES[table]!;
  const tenant = table === 'tenants' ? 'id' : 'tenant_id';
  const contact = ['tenant', 'owner-only', 'self'].includes(spec.contact) ? 'null' : spec.contact;
  const shared = table === 'memories' ? "visibility = 'shared'" : 'false';
  return `select ${spec.id} as id, ${tenant}::text as tenant, ${contact}::text as contact, ${shared} as shared from ${table}`;
}

function mayRead(actor: Actor, table: string, row: Row): boolean {
  const spec = TABLES[table]!;
  if (row.tenant !== actor.tenantId) return false;
  if (spec.contact === 'self' || spec.contact === 'tenant') return true;
  if (actor.contactId === null) return true;
  if (spec.contact === 'owner-only') return false;
  return row.contact === actor.contactId || row.shared;
}

const byId = (a: Row, b: Row) => a.id.localeCompare(b.id);

const INSERT_LINE = `insert into messages (tenant_id, session_id, contact_id, direction, channel, chat_id, text)
  values ($1, $2, $3, 'inbound', 'cli', 'x', 'intruder')`;

class Rollback extends Error {}

/** Runs fn as the actor and rolls back, so probes that write leave nothing behind. */
async function probe<T>(env: TestEnv, scope: Scope, fn: (tx: ScopedTx) => Promise<T>): Promise<T> {
  let result: T | undefined;
  await env.db
    .transaction(scope, async (tx) => {
      result = await fn(tx);
      throw new Rollback();
    })
    .catch((error: unknown) => {
      if (!(error instanceof Rollback)) throw error;
    });
  return result as T;
}

describeEachEngine('row-level isolation matrix', (env) => {
  const actors: Record<'owner' | 'a' | 'b' | 'group' | 'otherOwner' | 'otherContact', Actor> = {} as never;

  beforeAll(async () => {
    const { contacts, memories } = env.services;
    const [other] = await env.admin<{ id: TenantId }>(`insert into tenants (slug) values ('second') returning id`);
    const otherTenant = other!.id;
    await env.admin(`insert into agents (tenant_id, name, provider) values ($1, 'default', 'echo')`, [otherTenant]);
    // A bot belongs to one tenant on the installation: each tenant has its own.
    for (const [tenant, bot] of [[env.tenantId, 'bot'], [otherTenant, 'other-bot']] as const) {
      await env.admin(
        `insert into channel_accounts (tenant_id, channel, account_key, agent_id)
         select tenant_id, 'telegram', $2, id from agents where tenant_id = $1`,
        [tenant, bot],
      );
    }
    const owner = env.owner;
    const a = await contacts.resolve(owner, { channel: 'telegram', externalId: 'm-100', kind: 'person' });
    const b = await contacts.resolve(owner, { channel: 'telegram', externalId: 'm-200', kind: 'person' });
    const g = await contacts.resolveGroupMember(owner, { channel: 'telegram', externalId: 'm--300' }, { channel: 'telegram', externalId: 'm-100' });
    expect(g.memberId).toBe(a.contactId);
    const otherOwner = ownerScope(otherTenant);
    const c = await contacts.resolve(otherOwner, { channel: 'telegram', externalId: 'm-100', kind: 'person' });
    expect(c.contactId).not.toBe(a.contactId);

    actors.owner = { name: 'owner', scope: owner, tenantId: env.tenantId, contactId: null };
    actors.a = { name: 'A', scope: contactScope(env.tenantId, a.contactId), tenantId: env.tenantId, contactId: a.contactId };
    actors.b = { name: 'B', scope: contactScope(env.tenantId, b.contactId), tenantId: env.tenantId, contactId: b.contactId };
    actors.group = { name: 'G', scope: contactScope(env.tenantId, g.groupId), tenantId: env.tenantId, contactId: g.groupId };
    actors.otherOwner = { name: 'second owner', scope: otherOwner, tenantId: otherTenant, contactId: null };
    actors.otherContact = { name: 'second contact', scope: contactScope(otherTenant, c.contactId), tenantId: otherTenant, contactId: c.contactId };

    const chats: Record<keyof typeof actors, Omit<EchoMessage, 'text'>> = {
      owner: { channel: 'cli' },
      a: { channel: 'telegram', sender: { id: 'm-100' } },
      b: { channel: 'telegram', sender: { id: 'm-200' } },
      group: { channel: 'telegram', chat: { id: 'm--300', type: 'group' }, sender: { id: 'm-100' }, mentioned: true },
      otherOwner: { channel: 'cli' },
      otherContact: { channel: 'telegram', sender: { id: 'm-100' } },
    };
    for (const [key, actor] of Object.entries(actors) as Array<[keyof typeof actors, Actor]>) {
      const turn = await runEchoTurn(env, { ...chats[key], text: `hello from ${actor.name}` }, actor.tenantId);
      expect({ actor: actor.name, contactId: turn.contactId }).toEqual({ actor: actor.name, contactId: actor.contactId });
      const memory = await memories.remember(actor.scope, { content: `secret of ${actor.name}` });
      actor.sessionId = turn.sessionId!;
      actor.memoryId = memory.id;
    }
    await memories.remember(owner, { content: 'office hours are 9 to 5', visibility: 'shared' });
  });

  const actorNames = ['owner', 'a', 'b', 'group', 'otherOwner', 'otherContact'] as const;

  describe.each(actorNames)('as %s', (key) => {
    it('reads through raw SQL exactly the rows its scope allows, in every scoped table', async () => {
      const actor = actors[key];
      for (const table of Object.keys(TABLES)) {
        const all = await env.admin<Row>(rowSql(table));
        const seen = await probe(env, actor.scope, async (tx) => (await tx.query<Row>(rowSql(table))).rows);
        const allowed = all.filter((row) => mayRead(actor, table, row));
        expect({ table, rows: seen.sort(byId) }).toEqual({ table, rows: allowed.sort(byId) });
      }
    });

    it('sees through the services only its own memories, sessions and contacts (plus shared memories)', async () => {
      const actor = actors[key];
      const { memories, sessions, contacts } = env.services;
      const contents = (await memories.list(actor.scope)).map((memory) => memory.content).sort();
      const mine = Object.values(actors)
        .filter((other) => other.tenantId === actor.tenantId && (actor.contactId === null || other.contactId === actor.contactId))
        .map((other) => `secret of ${other.name}`);
      const shared = actor.tenantId === env.tenantId ? ['office hours are 9 to 5'] : [];
      expect(contents).toEqual([...mine, ...shared].sort());

      const sessionContacts = (await sessions.list(actor.scope)).map((session) => session.contactId);
      const expectedContacts = Object.values(actors)
        .filter((other) => other.tenantId === actor.tenantId && (actor.contactId === null || other.contactId === actor.contactId))
        .map((other) => other.contactId);
      expect(sessionContacts.sort()).toEqual(expectedContacts.sort());

      const contactIds = (await contacts.list(actor.scope)).map((contact) => contact.id);
      if (actor.contactId !== null) expect(contactIds).toEqual([actor.contactId]);
      else expect(contactIds.length).toBe(actor.tenantId === env.tenantId ? 3 : 1);
    });

    it('gets not-found for every by-id call on another scope, reaches no other scope\'s session by id, and changes nothing', async () => {
      const actor = actors[key];
      const { memories, sessions } = env.services;
      const others = Object.values(actors).filter(
        (other) => other !== actor && !(actor.contactId === null && other.tenantId === actor.tenantId),
      );
      for (const other of others) {
        await expect(memories.get(actor.scope, other.memoryId!)).rejects.toMatchObject({ code: 'not_found' });
        await expect(memories.update(actor.scope, other.memoryId!, { content: 'overwritten' })).rejects.toMatchObject({ code: 'not_found' });
        await expect(memories.delete(actor.scope, other.memoryId!)).rejects.toMatchObject({ code: 'not_found' });
        await expect(memories.history(actor.scope, other.memoryId!)).rejects.toMatchObject({ code: 'not_found' });
        await expect(sessions.get(actor.scope, other.sessionId!)).rejects.toBeInstanceOf(AppError);
        await expect(sessions.messages(actor.scope, other.sessionId!)).rejects.toMatchObject({ code: 'not_found' });
        // Neither a transcript line (in the session's name or the actor's own) nor a provider session id reaches it.
        for (const [tenant, contact] of [[other.tenantId, other.contactId], [actor.tenantId, actor.contactId]]) {
          await expect(probe(env, actor.scope, (tx) => tx.query(INSERT_LINE, [tenant, other.sessionId, contact])))
            .rejects.toThrow(/row-level security|permission denied|violates/);
        }
        const hijacked = await probe(env, actor.scope, async (tx) =>
          (await tx.query(`update sessions set provider_session_id = 'hijacked' where id = $1`, [other.sessionId])).rowCount);
        expect({ other: other.name, hijacked }).toEqual({ other: other.name, hijacked: 0 });
      }
      // The same line goes into the actor's own session.
      expect(await probe(env, actor.scope, async (tx) => (await tx.query(INSERT_LINE, [actor.tenantId, actor.sessionId, actor.contactId])).rowCount))
        .toBe(1);
      const untouched = await env.admin<{ n: number }>(
        `select count(*)::int as n from memories where content = 'overwritten'
         union all select count(*)::int from messages where text = 'intruder'
         union all select count(*)::int from sessions where provider_session_id = 'hijacked'`,
      );
      expect(untouched.map((row) => row.n)).toEqual([0, 0, 0]);
    });

    it('cannot write, update or delete rows of another scope through raw SQL', async () => {
      const actor = actors[key];
      const victim = Object.values(actors).find((other) => other.tenantId !== actor.tenantId && other.contactId !== null)!;
      const [victimAgent] = await env.admin<{ id: string }>('select id from agents where tenant_id = $1', [victim.tenantId]);
      // Inserting rows that belong to someone else is rejected by the policies' WITH CHECK.
      const writes: Array<[string, unknown[]]> = [
        [`insert into memories (tenant_id, contact_id, content) values ($1, $2, 'planted')`, [victim.tenantId, victim.contactId]],
        [`insert into sessions (tenant_id, agent_id, contact_id, provider) values ($1, $2, $3, 'echo')`, [victim.tenantId, victimAgent!.id, victim.contactId]],
        [`insert into contacts (tenant_id, kind) values ($1, 'person')`, [victim.tenantId]],
        [`insert into memory_events (tenant_id, memory_id, contact_id, kind) values ($1, gen_random_uuid(), $2, 'add')`, [victim.tenantId, victim.contactId]],
      ];
      for (const [sql, params] of writes) {
        await expect(probe(env, actor.scope, (tx) => tx.query(sql, params))).rejects.toThrow(/row-level security|permission denied|violates/);
      }
      // Updates and deletes reach only rows the scope may write.
      const own = (table: string) => `select count(*)::int as n from ${table} where tenant_id = $1 ${actor.contactId ? 'and contact_id = $2' : ''}`;
      const params = actor.contactId ? [actor.tenantId, actor.contactId] : [actor.tenantId];
      for (const table of ['memories', 'sessions', 'messages']) {
        const [expected] = await env.admin<{ n: number }>(own(table), params);
        const deleted = await probe(env, actor.scope, async (tx) => (await tx.query(`delete from ${table}`)).rowCount);
        expect({ table, deleted }).toEqual({ table, deleted: expected!.n });
      }
      const ownerOnly = ['contacts', 'contact_identities', 'group_members', 'channel_accounts', 'memory_events', 'agents'];
      for (const table of actor.contactId === null ? [] : ownerOnly) {
        const deleted = await probe(env, actor.scope, async (tx) => (await tx.query(`delete from ${table}`)).rowCount);
        expect({ table, deleted }).toEqual({ table, deleted: 0 });
      }
      // History is append-only for everyone, the owner included.
      await expect(probe(env, actor.scope, (tx) => tx.query(`update memory_events set new_content = 'rewritten'`))).rejects.toThrow(/permission denied/);
    });
  });

  it('lets a group see its own memories but never its members’ private ones, and the reverse', async () => {
    const { memories } = env.services;
    const groupView = (await memories.list(actors.group.scope)).map((memory) => memory.content);
    expect(groupView).toContain('secret of G');
    expect(groupView).not.toContain('secret of A');
    const memberView = (await memories.list(actors.a.scope)).map((memory) => memory.content);
    expect(memberView).not.toContain('secret of G');
  });

  it('sees nothing at all in a transaction with no scope settings (fail closed)', async () => {
    for (const table of Object.keys(TABLES)) {
      const { rows } = await env.db.unscopedTransaction((tx) => tx.query<{ n: number }>(`select count(*)::int as n from ${table}`));
      expect({ table, n: rows[0]!.n }).toEqual({ table, n: 0 });
    }
    const all = await env.admin<{ n: number }>('select count(*)::int as n from memories');
    expect(all[0]!.n).toBeGreaterThan(0);
  });
});
