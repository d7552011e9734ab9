/**
 * Database backstops, attacked with statements injected into a contact's scoped transaction (raw SQL
 * as sb_app through the Db port), on both engines: no memory, history event or transcript line in
 * another contact's name, no reply to a chat other than its event's, no row in another tenant, and
 * the worker principal changes claim columns only. On PostgreSQL, requests log in as a role that
 * RESET ROLE / SET ROLE cannot turn into the schema owner, by password, and the real server runs so.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { AgentId, ContactId, InboundMessage, MemoryId, SessionId, TenantId } from '@switchboard/shared';
import { contactScope, createServices, findTenantId, openDb, type Db, type Scope, type SqlRunner } from '@switchboard/api';
import { loginRoleName } from '../../packages/api/src/db/pg-login-role';
import { LOGIN_PASSWORD_FILE } from '../../packages/api/src/db/pg-login-password';
import { runEchoTurn } from '../echo-turns';
import { availableEngines, createMigratedPostgresDatabase, describeEachEngine } from '../engines';
import { PASSWORD_AUTH_GROUP } from '../postgres-cluster';
import { useServerProcesses } from '../server-process';
import { until } from '../until';

class Rollback extends Error {}

/** Runs fn in the scope's transaction and rolls it back: a probe that writes leaves nothing behind. */
async function probe<T>(db: Db, scope: Scope, fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
  let result: T | undefined;
  await db.transaction(scope, async (tx) => {
    result = await fn(tx);
    throw new Rollback();
  }).catch((error: unknown) => {
    if (!(error instanceof Rollback)) throw error;
  });
  return result as T;
}

async function asWorker<T>(db: Db, fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
  let result: T | undefined;
  await db.workerTransaction(async (tx) => {
    result = await fn(tx);
    throw new Rollback();
  }).catch((error: unknown) => {
    if (!(error instanceof Rollback)) throw error;
  });
  return result as T;
}

const REJECTED = /row-level security|permission denied|violates/;

describeEachEngine('database backstops against a statement injected into a contact\'s scope', (env) => {
  const ids = {} as {
    a: ContactId; b: ContactId; group: ContactId; otherTenant: TenantId; agent: AgentId;
    aEvent: string; bEvent: string; aMemory: MemoryId; bMemory: MemoryId; aSession: SessionId; bSession: SessionId;
  };
  const scopeOf = (contact: ContactId) => contactScope(env.tenantId, contact);

  async function accept(tenantId: TenantId, message: Omit<InboundMessage, 'messageId' | 'channel'>) {
    return env.services.inbound.accept({ kind: 'owner', tenantId }, { channel: 'telegram', messageId: randomUUID(), ...message });
  }

  beforeAll(async () => {
    const { agents, memories } = env.services;
    await agents.update(env.owner, 'default', { dmPolicy: 'open' });
    const [other] = await env.admin<{ id: TenantId }>(`insert into tenants (slug) values ('backstops-second') returning id`);
    ids.otherTenant = other!.id;
    ids.agent = (await agents.getByName(env.owner, 'default')).id;
    // A session each from a finished turn; the events the attacks name stay queued, unanswered.
    const aTurn = await runEchoTurn(env, { channel: 'telegram', sender: { id: 'bk-a' }, text: 'first from A' });
    const bTurn = await runEchoTurn(env, { channel: 'telegram', sender: { id: 'bk-b' }, text: 'first from B' });
    const a = await accept(env.tenantId, { sender: { id: 'bk-a' }, text: 'hello from A' });
    const b = await accept(env.tenantId, { sender: { id: 'bk-b' }, text: 'hello from B' });
    const g = await accept(env.tenantId, { chat: { id: '-100bk', type: 'group' }, sender: { id: 'bk-a' }, text: 'hi group', mentioned: true });
    for (const accepted of [a, b, g]) expect(accepted.status).toBe('queued');
    Object.assign(ids, { a: a.contactId!, b: b.contactId!, group: g.contactId!, aEvent: a.eventId, bEvent: b.eventId });
    ids.aMemory = (await memories.remember(scopeOf(ids.a), { content: 'A keeps this' })).id;
    ids.bMemory = (await memories.remember(scopeOf(ids.b), { content: 'B keeps this' })).id;
    expect([aTurn.contactId, bTurn.contactId]).toEqual([ids.a, ids.b]);
    Object.assign(ids, { aSession: aTurn.sessionId!, bSession: bTurn.sessionId! });
  });

  it("rejects a memory B writes for A, in A's name or in another tenant, and lets B write its own", async () => {
    const db = env.db;
    const insert = 'insert into memories (tenant_id, contact_id, author_contact_id, content) values ($1, $2, $3, $4)';
    for (const params of [[env.tenantId, ids.a, null, 'for A'], [env.tenantId, ids.b, ids.a, 'by A'], [ids.otherTenant, ids.b, null, 'elsewhere']]) {
      await expect(probe(db, scopeOf(ids.b), (tx) => tx.query(insert, params))).rejects.toThrow(REJECTED);
    }
    await expect(probe(db, scopeOf(ids.b), (tx) => tx.query('update memories set author_contact_id = $1 where id = $2', [ids.a, ids.bMemory])))
      .rejects.toThrow(REJECTED);
    expect((await probe(db, scopeOf(ids.b), (tx) => tx.query(insert, [env.tenantId, ids.b, ids.b, 'mine']))).rowCount).toBe(1);
  });

  it("rejects history events B writes for A, in A's name or on A's memory, and lets B write its own", async () => {
    const insert = `insert into memory_events (tenant_id, memory_id, contact_id, author_contact_id, kind, new_content)
      values ($1, $2, $3, $4, 'edit', 'forged')`;
    const forged = [
      [env.tenantId, ids.aMemory, ids.a, null],
      [env.tenantId, ids.aMemory, ids.b, null],
      [env.tenantId, ids.bMemory, ids.b, ids.a],
      [ids.otherTenant, ids.bMemory, ids.b, null],
    ];
    for (const params of forged) {
      await expect(probe(env.db, scopeOf(ids.b), (tx) => tx.query(insert, params))).rejects.toThrow(REJECTED);
    }
    expect((await probe(env.db, scopeOf(ids.b), (tx) => tx.query(insert, [env.tenantId, ids.bMemory, ids.b, null]))).rowCount).toBe(1);
  });

  it("rejects an outbox row B addresses to any chat but its own event's, and lets B answer its own event", async () => {
    const insert = `insert into outbox (tenant_id, event_id, contact_id, channel, account_key, chat_id, thread_key, text)
      values ($1, $2, $3, 'telegram', $4, $5, $6, 'hello')`;
    const foreign = [
      [env.tenantId, ids.bEvent, ids.b, 'default', 'bk-a', ''], // A's chat
      [env.tenantId, ids.bEvent, ids.b, 'default', '-100bk', ''], // the group's chat
      [env.tenantId, ids.bEvent, ids.b, 'another-bot', 'bk-b', ''], // another account of the tenant
      [env.tenantId, ids.bEvent, ids.b, 'default', 'bk-b', 'elsewhere'], // another thread
      [env.tenantId, ids.aEvent, ids.b, 'default', 'bk-a', ''], // A's event
      [env.tenantId, randomUUID(), ids.b, 'default', 'bk-b', ''], // no event
      [ids.otherTenant, ids.bEvent, ids.b, 'default', 'bk-b', ''], // another tenant
    ];
    for (const params of foreign) {
      await expect(probe(env.db, scopeOf(ids.b), (tx) => tx.query(insert, params))).rejects.toThrow(REJECTED);
    }
    const own = [env.tenantId, ids.bEvent, ids.b, 'default', 'bk-b', ''];
    expect((await probe(env.db, scopeOf(ids.b), (tx) => tx.query(insert, own))).rowCount).toBe(1);
    // Nor by readdressing: its own reply row, its own event, or a new event of its own.
    await expect(probe(env.db, scopeOf(ids.b), async (tx) => {
      await tx.query(insert, own);
      return tx.query(`update outbox set chat_id = 'bk-a' where event_id = $1`, [ids.bEvent]);
    })).rejects.toThrow(REJECTED);
    await expect(probe(env.db, scopeOf(ids.b), (tx) => tx.query(`update inbound_events set chat_id = 'bk-a' where id = $1`, [ids.bEvent])))
      .rejects.toThrow(REJECTED);
    await expect(probe(env.db, scopeOf(ids.b), (tx) => tx.query(
      `insert into inbound_events (tenant_id, agent_id, contact_id, channel, account_key, chat_id, chat_type, platform_message_id, text, status)
       values ($1, $2, $3, 'telegram', 'default', 'bk-a', 'direct', 'planted', 'planted', 'done')`,
      [env.tenantId, ids.agent, ids.b],
    ))).rejects.toThrow(REJECTED);
  });

  it("rejects transcript lines B writes into A's session or in A's name, and lets B write its own", async () => {
    const insert = `insert into messages (tenant_id, session_id, contact_id, sender_contact_id, direction, channel, chat_id, text)
      values ($1, $2, $3, $4, 'inbound', 'telegram', 'bk-b', 'said')`;
    for (const params of [[env.tenantId, ids.aSession, ids.b, ids.b], [env.tenantId, ids.bSession, ids.b, ids.a]]) {
      await expect(probe(env.db, scopeOf(ids.b), (tx) => tx.query(insert, params))).rejects.toThrow(REJECTED);
    }
    expect((await probe(env.db, scopeOf(ids.b), (tx) => tx.query(insert, [env.tenantId, ids.bSession, ids.b, ids.b]))).rowCount).toBe(1);
  });

  it("lets a group's scope name its members, and no one else, as authors", async () => {
    const insert = 'insert into memories (tenant_id, contact_id, author_contact_id, content) values ($1, $2, $3, $4)';
    expect((await probe(env.db, scopeOf(ids.group), (tx) => tx.query(insert, [env.tenantId, ids.group, ids.a, 'said by A']))).rowCount).toBe(1);
    await expect(probe(env.db, scopeOf(ids.group), (tx) => tx.query(insert, [env.tenantId, ids.group, ids.b, 'said by B'])))
      .rejects.toThrow(REJECTED);
  });

  it('lets the worker principal change only the claim columns of the turn queue, and no contact queue a turn', async () => {
    const claimed = await asWorker(env.db, async (tx) =>
      (await tx.query(`update turn_queue set claimed_by = gen_random_uuid(), lease_until = now(), attempts = attempts + 1`)).rowCount);
    expect(claimed).toBeGreaterThan(0);
    for (const change of [`lane = 'planted'`, 'contact_id = null', `tenant_id = '${ids.otherTenant}'`, 'event_id = gen_random_uuid()', 'enqueued_at = now()']) {
      await expect(asWorker(env.db, (tx) => tx.query(`update turn_queue set ${change}`))).rejects.toThrow(/permission denied/);
    }
    await expect(probe(env.db, scopeOf(ids.b), (tx) => tx.query('update turn_queue set contact_id = null where event_id = $1', [ids.bEvent])))
      .rejects.toThrow(/permission denied/);
    await expect(probe(env.db, scopeOf(ids.b), (tx) => tx.query(
      `insert into turn_queue (tenant_id, event_id, contact_id, lane) values ($1, $2, $3, 'planted')`, [env.tenantId, randomUUID(), ids.b],
    ))).rejects.toThrow(REJECTED);
  });

  it("shows B none of A's rows through the checks: only whether an id it names is another scope's memory", async () => {
    const others = {
      memories: `select count(*)::int as n from memories where contact_id is distinct from $1 and visibility = 'private'`,
      memory_events: 'select count(*)::int as n from memory_events where contact_id is distinct from $1',
      group_members: 'select count(*)::int as n from group_members where group_contact_id is distinct from $1',
      inbound_events: 'select count(*)::int as n from inbound_events where contact_id is distinct from $1',
    };
    const seen = await probe(env.db, scopeOf(ids.b), async (tx) => {
      const rows: Record<string, number> = {};
      for (const [table, sql] of Object.entries(others)) rows[table] = (await tx.query<{ n: number }>(sql, [ids.b])).rows[0]!.n;
      const checks = await tx.query('select app.speaks_for_scope($1) as member, app.memory_is_foreign($2) as foreign', [ids.a, ids.aMemory]);
      return { rows, checks: checks.rows[0] };
    });
    expect(seen).toEqual({
      rows: { memories: 0, memory_events: 0, group_members: 0, inbound_events: 0 },
      checks: { member: false, foreign: true },
    });
  });
});

const onPostgres = availableEngines().includes('postgres');

/** A fresh migrated database, and a home whose generated login role requests use. */
async function openOnPostgres(home: string, url: string): Promise<{ db: Db; role: string }> {
  const db = await openDb({ home, databaseUrl: url, maxConnections: 4 });
  return { db, role: loginRoleName(new URL(url).pathname.slice(1)) };
}

async function asServerOwner<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function requirePasswordFor(ownerUrl: string, role: string): Promise<void> {
  await asServerOwner(ownerUrl, async (client) => {
    await client.query(`do $$ begin create role ${PASSWORD_AUTH_GROUP} nologin; exception when duplicate_object or unique_violation then null; end $$`);
    await client.query(`grant ${PASSWORD_AUTH_GROUP} to ${role}`);
  });
}

function withLogin(url: string, role: string, password: string): string {
  const login = new URL(url);
  login.username = role;
  login.password = password;
  return login.toString();
}

// PostgreSQL only: PGlite has one connection and no listener, so there is no login to make (README).
if (onPostgres) describe('request connections log in as the unprivileged login role [postgres]', () => {
  const homes: string[] = [];
  let database: { url: string; drop: () => Promise<void> };
  let db: Db;
  let role = '';
  let tenantId: TenantId;
  let a: ContactId;

  const newHome = () => {
    const home = mkdtempSync(join(tmpdir(), 'sb-backstops-'));
    homes.push(home);
    return home;
  };

  beforeAll(async () => {
    database = await createMigratedPostgresDatabase();
    ({ db, role } = await openOnPostgres(newHome(), database.url));
    await requirePasswordFor(database.url, role);
    tenantId = (await findTenantId(db, 'default'))!;
    const services = createServices(db);
    await services.agents.update({ tenantId, principal: { kind: 'owner' } }, 'default', { dmPolicy: 'open' });
    const inbound = (sender: string) => services.inbound.accept({ kind: 'owner', tenantId }, { channel: 'telegram', sender: { id: sender }, messageId: randomUUID(), text: 'hi' });
    a = (await inbound('lr-a')).contactId!;
    const b = (await inbound('lr-b')).contactId!;
    await services.memories.remember(contactScope(tenantId, a), { content: 'A only' });
    await services.memories.remember(contactScope(tenantId, b), { content: 'B only' });
    await db.closeAdmin();
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    await database?.drop();
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  }, 30_000);

  it("is the login role after RESET ROLE in a contact's transaction, and then reads no table at all", async () => {
    const who = await probe(db, contactScope(tenantId, a), async (tx) => {
      await tx.exec('reset role');
      return (await tx.query<{ current: string; session: string }>('select current_user as current, session_user as session')).rows[0];
    });
    expect(who).toEqual({ current: role, session: role });
    await expect(probe(db, contactScope(tenantId, a), async (tx) => {
      await tx.exec('reset role');
      return tx.query('select content from memories');
    })).rejects.toThrow(/permission denied/);
  });

  it('cannot SET ROLE or SET SESSION AUTHORIZATION to the schema owner or a superuser', async () => {
    const owner = new URL(database.url).username;
    for (const statement of [`set role ${owner}`, 'set role postgres', `set session authorization ${owner}`, 'reset role; set role pg_write_server_files']) {
      await expect(probe(db, contactScope(tenantId, a), (tx) => tx.exec(statement))).rejects.toThrow(/permission denied/);
    }
  });

  it("still sees only the contact's own rows as sb_app, and the owner's connection is closed after start-up", async () => {
    const contents = await probe(db, contactScope(tenantId, a), async (tx) =>
      (await tx.query<{ content: string }>('select content from memories order by content')).rows.map((row) => row.content));
    expect(contents).toEqual(['A only']);
    await expect(db.adminTransaction((tx) => tx.query('select 1'))).rejects.toThrow(/closed after start-up/);
  });

  it('logs in by password (SCRAM) with the 0600 password file, and a wrong password is refused', async () => {
    const home = homes[0]!;
    expect(statSync(join(home, LOGIN_PASSWORD_FILE)).mode & 0o777).toBe(0o600);
    const password = readFileSync(join(home, LOGIN_PASSWORD_FILE), 'utf8').trim();
    await expect(asServerOwner(withLogin(database.url, role, password), async (client) =>
      (await client.query<{ user: string }>('select current_user as user')).rows[0]!.user)).resolves.toBe(role);
    await expect(asServerOwner(withLogin(database.url, role, 'not-the-password'), (client) => client.query('select 1')))
      .rejects.toThrow(/password authentication failed/);
  });

  it('gives no new password to the role while another process is logged in as it; takes it over once none is', async () => {
    const other = newHome();
    await expect(openOnPostgres(other, database.url)).rejects.toThrow(/in use by another process/);
    // A database nobody is logged in to as that role: the role (its own) is given this home's password.
    const second = await createMigratedPostgresDatabase();
    try {
      const first = await openOnPostgres(newHome(), second.url);
      await requirePasswordFor(second.url, first.role);
      await first.db.close();
      await until('the first login role\'s sessions to end', () => asServerOwner(second.url, async (client) =>
        (await client.query('select 1 from pg_stat_activity where usename = $1', [first.role])).rowCount === 0 || undefined));
      const next = await openOnPostgres(newHome(), second.url);
      const user = await next.db.unscopedTransaction(async (tx) => (await tx.query<{ user: string }>('select session_user as user')).rows[0]!.user);
      await next.db.close();
      expect(user).toBe(first.role);
    } finally {
      await second.drop();
    }
  });

  it('refuses to serve requests on a login that can become the schema owner (SB_APP_DATABASE_URL = DATABASE_URL)', async () => {
    await expect(openDb({ home: newHome(), databaseUrl: database.url, appDatabaseUrl: database.url })).rejects.toThrow(/can act as/);
  });
});

if (onPostgres) describe('the real server on an owner DATABASE_URL [postgres]', () => {
  const servers = useServerProcesses();
  let database: { url: string; drop: () => Promise<void> };
  let home = '';

  beforeAll(async () => {
    database = await createMigratedPostgresDatabase();
    home = mkdtempSync(join(tmpdir(), 'sb-backstops-server-'));
    // The login role exists and must use its password, as on a production server.
    const { db, role } = await openOnPostgres(home, database.url);
    await db.close();
    await requirePasswordFor(database.url, role);
  }, 60_000);

  afterAll(async () => {
    await database?.drop();
    if (home) rmSync(home, { recursive: true, force: true });
  }, 30_000);

  it('answers turns with every connection of its own logged in as the login role', async () => {
    const ownerToken = randomBytes(24).toString('hex');
    const server = await servers.start('backstops', { SB_HOME: home, SB_PORT: '0', SB_OWNER_TOKEN: ownerToken, DATABASE_URL: database.url });
    const reply = await server.client(ownerToken).inbound(
      { channel: 'telegram', sender: { id: 'srv-a' }, messageId: randomUUID(), text: 'hello' }, { wait: true });
    expect(reply).toMatchObject({ status: 'done', reply: { text: 'echo: hello' } });
    const database_ = new URL(database.url).pathname.slice(1);
    const users = await asServerOwner(database.url, async (client) =>
      (await client.query<{ user: string }>(
        'select distinct usename as user from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [database_],
      )).rows.map((row) => row.user));
    expect(users).toEqual([loginRoleName(database_)]);
  });
});
