/**
 * Tenants through the real server: the admin token makes, lists and erases them; each has its own
 * owner token, agent, contacts, sessions and memories, and neither owner sees the other's rows,
 * over HTTP or through raw SQL as the application role; erasing leaves no row and no file behind.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { isAppError, type ApiClient, type Tenant, type TenantCreated, type TenantId } from '@switchboard/shared';
import { describeEachServer, type TestServer } from '../../../../test/server-harness';
import { ownerScope, contactScope } from '../db/scope';
import type { ContactId } from '@switchboard/shared';

/** Every table that carries a tenant_id, read from the catalog (a new table is covered without a change here). */
async function tenantTables(server: TestServer): Promise<string[]> {
  const rows = await server.admin<{ table_name: string }>(
    `select c.table_name from information_schema.columns c join information_schema.tables t using (table_schema, table_name)
     where c.table_schema = 'public' and c.column_name = 'tenant_id' and t.table_type = 'BASE TABLE' order by 1`);
  return rows.map((row) => row.table_name);
}

async function rowsOf(server: TestServer, tenantId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of await tenantTables(server)) {
    const [row] = await server.admin<{ n: number }>(`select count(*)::int as n from ${table} where tenant_id = $1`, [tenantId]);
    counts[table] = row?.n ?? 0;
  }
  return counts;
}

const status = (promise: Promise<unknown>) =>
  promise.then(() => 200, (error: unknown) => (isAppError(error) ? error.status : Promise.reject(error)));

describeEachServer('tenants (real server, admin token, two owners)', (server) => {
  let admin: ApiClient;
  let acme: TenantCreated;
  let acmeOwner: ApiClient;
  const say = (client: ApiClient, sender: string, text: string) =>
    client.inbound({ channel: 'telegram', sender: { id: sender, displayName: `person ${sender}` }, messageId: randomUUID(), text }, { wait: true });

  beforeAll(async () => {
    admin = server.client(server.adminToken);
    acme = await admin.tenants.create({ slug: 'acme', name: 'Acme Corp' });
    acmeOwner = server.client(acme.ownerToken);
  });

  it('creates a tenant with a fresh owner token shown once, and lists it beside default', async () => {
    expect(acme).toMatchObject({ slug: 'acme', name: 'Acme Corp' });
    expect(acme.ownerToken.length).toBeGreaterThanOrEqual(32);
    const listed = await admin.tenants.list();
    expect(listed.map((t: Tenant) => t.slug)).toEqual(['default', 'acme']);
    expect(JSON.stringify(listed)).not.toContain(acme.ownerToken);
    const stored = await server.admin<{ token_hash: string }>('select token_hash from api_tokens where tenant_id = $1', [acme.id]);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.token_hash).not.toContain(acme.ownerToken);
  });

  it('gives a new tenant agent `default` on echo, which answers its owner\'s contacts', async () => {
    expect((await acmeOwner.agents.list()).map((a) => [a.name, a.provider])).toEqual([['default', 'echo']]);
    const answer = await say(acmeOwner, '5001', 'hello acme');
    expect(answer.reply?.text).toBe('echo: hello acme');
  });

  it('answers 401 to an unknown token and 403 to owner and gateway tokens on the admin routes, and 403 to the admin token elsewhere', async () => {
    const post = (token: string | null) => server.fetch('/v1/tenants', {
      method: 'POST', token, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ slug: 'sneaky' }),
    }).then((r) => r.status);
    expect(await post(null)).toBe(401);
    expect(await post('not-a-known-token-at-all')).toBe(401);
    expect(await post(server.ownerToken)).toBe(403);
    expect(await post(server.gatewayToken)).toBe(403);
    expect(await post(acme.ownerToken)).toBe(403);
    for (const token of [server.ownerToken, server.gatewayToken, acme.ownerToken]) {
      expect(await server.fetch('/v1/tenants', { token }).then((r) => r.status)).toBe(403);
      expect(await server.fetch('/v1/tenants/acme', { method: 'DELETE', token }).then((r) => r.status)).toBe(403);
    }
    expect(await status(admin.contacts.list())).toBe(403);
    expect(await status(admin.inbound({ channel: 'cli', messageId: 'x1', text: 'hi' }))).toBe(403);
    expect((await admin.tenants.list()).map((t) => t.slug)).toEqual(['default', 'acme']);
  });

  it('names a WhatsApp account after its tenant unless the owner names it, so each is unique on the installation', async () => {
    expect((await acmeOwner.channels.add({ channel: 'whatsapp' })).accountId).toBe('acme');
    expect((await server.client().channels.add({ channel: 'whatsapp' })).accountId).toBe('default');
    await expect(acmeOwner.channels.add({ channel: 'whatsapp', accountId: 'default' })).rejects.toMatchObject({ code: 'conflict' });
    expect((await acmeOwner.channels.list()).map((a) => a.accountId)).toEqual(['acme']);
    await acmeOwner.channels.remove('whatsapp', 'acme');
    await server.client().channels.remove('whatsapp', 'default');
  });

  it('refuses bad input with a 4xx and changes nothing', async () => {
    const before = await admin.tenants.list();
    const bad = (body: unknown) => server.fetch('/v1/tenants', {
      method: 'POST', token: server.adminToken, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, code: ((await r.json()) as { error?: { code?: string } }).error?.code }));
    expect(await bad({ slug: 'Acme!' })).toEqual({ status: 400, code: 'invalid_input' });
    expect(await bad({ slug: '-lead' })).toEqual({ status: 400, code: 'invalid_input' });
    expect(await bad({ slug: 'x'.repeat(64) })).toEqual({ status: 400, code: 'invalid_input' });
    expect(await bad({ slug: 'ok', name: 'n'.repeat(201) })).toEqual({ status: 400, code: 'invalid_input' });
    expect(await bad({ slug: 'ok', extra: true })).toEqual({ status: 400, code: 'invalid_input' });
    expect(await bad({ slug: 'ok', name: 'a\u0000b' })).toEqual({ status: 400, code: 'invalid_input' });
    expect(await bad({ slug: '../etc' })).toEqual({ status: 400, code: 'invalid_input' });
    expect(await bad({ slug: 'acme' })).toEqual({ status: 409, code: 'conflict' });
    expect(await bad({ slug: 'default' })).toEqual({ status: 409, code: 'conflict' });
    expect(await status(admin.tenants.remove('default'))).toBe(400);
    expect(await status(admin.tenants.remove('nobody-here'))).toBe(404);
    expect(await server.fetch('/v1/tenants/..%2Fetc', { method: 'DELETE', token: server.adminToken }).then((r) => r.status)).toBe(400);
    expect(await admin.tenants.list()).toEqual(before);
  });

  it('keeps the two tenants apart over HTTP: neither owner sees the other\'s contacts, sessions or memories', async () => {
    await say(acmeOwner, '5002', 'remember acme keeps its recipes in a red book');
    const home = await say(server.client(), '5002', 'remember default keeps its recipes in a blue book');
    const acmeContacts = await acmeOwner.contacts.list();
    const homeContacts = await server.client().contacts.list();
    const ids = (list: { id: string }[]) => new Set(list.map((c) => c.id));
    expect([...ids(acmeContacts)].filter((id) => ids(homeContacts).has(id))).toEqual([]);
    // The same Telegram id is two different contacts, one per tenant.
    expect(acmeContacts.some((c) => c.identities.some((i) => i.externalId === '5002'))).toBe(true);
    expect(acmeContacts.some((c) => c.id === home.contactId)).toBe(false);
    expect(await status(acmeOwner.contacts.get(home.contactId as ContactId))).toBe(404);
    const homeSession = 'sessionId' in home ? home.sessionId : undefined;
    expect(homeSession).toBeDefined();
    expect(await status(acmeOwner.sessions.messages(homeSession as never))).toBe(404);
    const acmeMemories = (await acmeOwner.memories.list({})).map((m) => m.content);
    expect(acmeMemories.join('\n')).toContain('red book');
    expect(acmeMemories.join('\n')).not.toContain('blue book');
    expect((await server.client().memories.list({})).map((m) => m.content).join('\n')).not.toContain('red book');
    const recalled = await say(acmeOwner, '5002', 'recall recipes');
    expect(recalled.reply?.text).toContain('red book');
    expect(recalled.reply?.text).not.toContain('blue book');
  });

  it('keeps the two tenants apart in raw SQL as the application role, in every table, for owner, person and group scopes', async () => {
    const acmeId = acme.id as TenantId;
    const acmeContact = (await acmeOwner.contacts.list())[0]!.id as ContactId;
    const homeContact = (await server.client().contacts.list())[0]!.id as ContactId;
    const inGroup = { channel: 'telegram' as const, chat: { id: '-1005', type: 'group' as const }, sender: { id: '5003' }, mentioned: true, text: 'hi all' };
    const acmeGroup = (await acmeOwner.inbound({ ...inGroup, messageId: randomUUID() }, { wait: true })).contactId as ContactId;
    const homeGroup = (await server.client().inbound({ ...inGroup, messageId: randomUUID() }, { wait: true })).contactId as ContactId;
    expect(acmeGroup).not.toBe(homeGroup);
    const scopes = [
      { scope: ownerScope(acmeId), other: server.tenantId },
      { scope: contactScope(acmeId, acmeContact), other: server.tenantId },
      { scope: contactScope(acmeId, acmeGroup), other: server.tenantId },
      { scope: contactScope(server.tenantId, homeGroup), other: acmeId },
      { scope: ownerScope(server.tenantId), other: acmeId },
      { scope: contactScope(server.tenantId, homeContact), other: acmeId },
    ];
    const tables = await tenantTables(server);
    expect(tables).toEqual(expect.arrayContaining(['contacts', 'messages', 'memories', 'inbound_events', 'outbox', 'sessions']));
    for (const { scope, other } of scopes) {
      for (const table of tables) {
        const { rows } = await server.db.transaction(scope, (tx) =>
          tx.query<{ n: number }>(`select count(*)::int as n from ${table} where tenant_id = $1`, [other]));
        expect({ table, scope: scope.principal.kind, seen: rows[0]?.n }).toEqual({ table, scope: scope.principal.kind, seen: 0 });
      }
      // Writing into the other tenant is refused by row-level security.
      await expect(server.db.transaction(scope, (tx) =>
        tx.query(`insert into memories (tenant_id, contact_id, content) values ($1, null, 'planted')`, [other]))).rejects.toThrow(/row-level security/);
      // The admin flag does not open other tenants' rows to a request.
      const { rows } = await server.db.transaction(scope, async (tx) => {
        await tx.query(`select set_config('app.admin', 'true', true)`);
        return tx.query<{ n: number }>('select count(*)::int as n from contacts where tenant_id = $1', [other]);
      });
      expect(rows[0]?.n).toBe(0);
    }
  });

  it('erases a tenant: every row of it, its files and its tokens at once; the default tenant keeps everything', async () => {
    const doomed = await admin.tenants.create({ slug: 'doomed' });
    const owner = server.client(doomed.ownerToken);
    await say(owner, '6001', 'remember the doomed tenant likes plums');
    await say(owner, '6002', 'hello');
    await owner.channels.add({ channel: 'telegram', token: '123456:doomed-bot-token-for-tests', apiRoot: 'http://127.0.0.1:9' });
    const tree = join(server.home, 'tenants', doomed.id);
    mkdirSync(join(tree, 'workspaces', 'default', 'owner'), { recursive: true });
    writeFileSync(join(tree, 'workspaces', 'default', 'owner', 'notes.txt'), 'doomed notes');
    const before = await rowsOf(server, doomed.id);
    for (const table of ['contacts', 'contact_identities', 'sessions', 'messages', 'memories', 'memory_events', 'inbound_events', 'outbox', 'agents', 'channel_accounts', 'api_tokens']) {
      expect({ table, some: (before[table] ?? 0) > 0 }).toEqual({ table, some: true });
    }
    const defaultBefore = await rowsOf(server, server.tenantId);
    const acmeBefore = await rowsOf(server, acme.id);

    const erased = await admin.tenants.remove('doomed');
    expect(erased).toMatchObject({ id: doomed.id, slug: 'doomed' });
    expect(erased.deleted.messages).toBe(before.messages);
    expect(erased.deleted.files).toBe(1);
    expect(Object.values(await rowsOf(server, doomed.id)).every((n) => n === 0)).toBe(true);
    expect(await server.admin('select 1 from tenants where id = $1', [doomed.id])).toEqual([]);
    expect(existsSync(tree)).toBe(false);
    expect(await status(owner.agents.list())).toBe(401);
    expect(await rowsOf(server, server.tenantId)).toEqual(defaultBefore);
    expect(await rowsOf(server, acme.id)).toEqual(acmeBefore);
    expect((await admin.tenants.list()).map((t) => t.slug)).toEqual(['default', 'acme']);
    expect(await status(admin.tenants.remove('doomed'))).toBe(404);
  });
});
