/**
 * Two tenants on one real server, and every owner route of the API: tenant beta's owner calls each
 * route of the route table (so a new route is covered, or the test says what it lacks) with alpha's
 * ids, account, pairing code and contacts wherever the route takes one. Nothing alpha has may come
 * back in an answer, a route naming alpha's rows answers 404, and afterwards every alpha row of
 * every table is exactly as it was. The memory tools over MCP get the same matrix for beta's owner,
 * person and group scopes (turn tokens as a turn mints them).
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ApiClient, ContactId, InboundMessage } from '@switchboard/shared';
import { describeEachServer, type TestServer } from '../../../../test/server-harness';
import { describeEachEngine } from '../../../../test/engines';
import { API_ROUTES, type ApiRoute } from '../openapi/openapi-route-table';
import { contactScope, ownerScope, type Scope } from '../db/scope';
import { createApp } from '../http/create-app';
import { createTurnGrants } from '../agents/turn-grants';

const SECRET = 'alpha-secret';

/** Every row of the tenant in every table with a tenant_id, as text: a change anywhere shows. */
async function fingerprint(server: Pick<TestServer, 'admin'>, tenantId: string): Promise<Record<string, string>> {
  const tables = await server.admin<{ table_name: string }>(
    `select c.table_name from information_schema.columns c join information_schema.tables t using (table_schema, table_name)
     where c.table_schema = 'public' and c.column_name = 'tenant_id' and t.table_type = 'BASE TABLE' order by 1`);
  const prints: Record<string, string> = {};
  for (const { table_name: table } of tables) {
    const [row] = await server.admin<{ n: number; rows: string }>(
      `select count(*)::int as n, coalesce(string_agg(t::text, E'\\n' order by t::text), '') as rows from ${table} t where tenant_id = $1`, [tenantId]);
    prints[table] = `${row?.n}\n${row?.rows}`;
  }
  return prints;
}

interface Alpha {
  contacts: ContactId[];
  ids: string[];
  account: { channel: string; account: string };
  pairingCode: string;
}

/** A body for each owner route that takes one, aimed at alpha's rows where it names any. */
const BODIES: Record<string, (alpha: Alpha) => unknown> = {
  'post /v1/inbound': (alpha) => ({ channel: 'whatsapp', accountId: alpha.account.account, sender: { id: '8001' }, messageId: randomUUID(), text: 'beta speaks' }),
  'post /v1/agents': () => ({ name: 'beta-agent' }),
  'patch /v1/agents/{name}': () => ({ dmPolicy: 'open' }),
  'post /v1/pairing/approve': (alpha) => ({ code: alpha.pairingCode }),
  'post /v1/outbox/claim': (alpha) => ({ channel: alpha.account.channel, account: alpha.account.account }),
  'post /v1/outbox/{id}/ack': (alpha) => ({ channel: alpha.account.channel, account: alpha.account.account }),
  'post /v1/outbox/{id}/fail': (alpha) => ({ error: 'beta says it failed', permanent: true, channel: alpha.account.channel, account: alpha.account.account }),
  'post /v1/outbox/{id}/retry': () => ({}),
  'post /v1/channels': (alpha) => ({ channel: 'whatsapp', accountId: alpha.account.account }),
  'post /v1/channels/{channel}/{account}/state': () => ({ set: { 'creds.json': 'beta' } }),
  'post /v1/gateway/accounts/{channel}/{account}/lease': () => ({ holder: 'beta-holder', ttlMs: 60_000, resume: true }),
  'post /v1/contacts/resolve': (alpha) => ({ channel: 'whatsapp', externalId: '8001', accountId: alpha.account.account }),
  'patch /v1/contacts/{id}': () => ({ access: 'blocked' }),
  'post /v1/contacts/{id}/merge': (alpha) => ({ into: alpha.contacts[0] }),
  'post /v1/contacts/{id}/unmerge': () => ({}),
  'post /v1/memories': (alpha) => ({ content: 'beta plants a memory', contact: alpha.contacts[0] }),
  'patch /v1/memories/{id}': () => ({ content: 'beta overwrote this' }),
  'post /v1/sessions/reset': (alpha) => ({ contact: alpha.contacts[0] }),
};

/** Queries that name alpha's contacts on the routes that filter by one. */
const QUERIES: Record<string, (alpha: Alpha) => Record<string, string | undefined>[]> = {
  'get /v1/sessions': (alpha) => [{}, ...alpha.contacts.map((contact) => ({ contact }))],
  'get /v1/memories': (alpha) => [{}, { q: SECRET }, ...alpha.contacts.map((contact) => ({ contact }))],
  'get /v1/usage': (alpha) => [{}, ...alpha.contacts.map((contact) => ({ contact }))],
  'get /v1/outbox': (alpha) => ['pending', 'failed', 'sent'].map((status) => ({ status, channel: alpha.account.channel, account: alpha.account.account })),
  'delete /v1/gateway/accounts/{channel}/{account}/lease': () => [{ holder: 'beta-holder' }],
};

/** Routes that are not one request and answer: the live event stream has its own test (console-reads). */
const STREAMS = new Set(['get /v1/events']);

const keyOf = (route: ApiRoute) => `${route.method} ${route.path}`;
const isOwnerRoute = (route: ApiRoute) => typeof route.auth !== 'string' && route.auth.includes('owner');

describeEachServer('two tenants × every owner route (real server; beta\'s owner aims at alpha\'s rows)', (server) => {
  let alphaOwner: ApiClient;
  let betaToken: string;
  let alpha: Alpha;
  let alphaTenant: string;

  const say = (client: ApiClient, message: Partial<InboundMessage> & { text: string }) =>
    client.inbound({ channel: 'telegram', sender: { id: '8001', displayName: `${SECRET} person` }, messageId: randomUUID(), ...message }, { wait: true });

  beforeAll(async () => {
    alphaOwner = server.client();
    alphaTenant = server.tenantId;
    betaToken = (await server.client(server.adminToken).tenants.create({ slug: 'beta' })).ownerToken;

    const account = await alphaOwner.channels.add({ channel: 'whatsapp', accountId: 'alpha-wa' });
    const person = await say(alphaOwner, { text: `remember ${SECRET} of the person` });
    const group = await say(alphaOwner, {
      sender: { id: '8002', displayName: `${SECRET} member` }, chat: { id: '-100alpha', type: 'group', title: `${SECRET} group` }, text: `remember ${SECRET} of the group`,
    });
    // A reply waiting in alpha's outbox, through alpha's own WhatsApp account.
    await alphaOwner.inbound({ channel: 'whatsapp', accountId: 'alpha-wa', sender: { id: '8003' }, messageId: randomUUID(), text: `${SECRET} by whatsapp` }, { wait: true });
    const owned = await alphaOwner.memories.add({ content: `${SECRET} of the owner` });
    const shared = await alphaOwner.memories.add({ content: `${SECRET} for everyone`, visibility: 'shared' });
    await alphaOwner.agents.update('default', { dmPolicy: 'pairing' });
    const stranger = await alphaOwner.inbound({ channel: 'telegram', sender: { id: '8004' }, messageId: randomUUID(), text: 'let me in' });
    await alphaOwner.agents.update('default', { dmPolicy: 'open' });
    const [request] = await alphaOwner.pairing.list();
    if (!request || !('contactId' in stranger)) throw new Error('alpha has no pairing request');

    const contacts = (await alphaOwner.contacts.list()).map((c) => c.id);
    const sessions = (await alphaOwner.sessions.list()).map((s) => s.id);
    const outbox = (await alphaOwner.outbox.list({ status: 'pending' })).map((item) => item.id);
    if (outbox.length === 0) throw new Error('alpha has no pending reply');
    alpha = {
      contacts: [person.contactId as ContactId, group.contactId as ContactId, ...contacts.filter((id) => id !== person.contactId && id !== group.contactId)],
      ids: [...contacts, ...sessions, ...outbox, owned.id, shared.id, ...(await alphaOwner.memories.list()).map((m) => m.id)],
      account: { channel: account.channel, account: account.accountId },
      pairingCode: request.code,
    };
  });

  it('answers beta nothing of alpha on any owner route, 404 where a route names alpha\'s rows, and leaves every alpha row as it was', async () => {
    const before = await fingerprint(server, alphaTenant);
    const routes = API_ROUTES.filter(isOwnerRoute).filter((route) => !STREAMS.has(keyOf(route)));
    expect(routes.length).toBeGreaterThan(30);
    const missing = routes.filter((route) => route.body && !BODIES[keyOf(route)]).map(keyOf);
    expect(missing).toEqual([]);

    const leaks: string[] = [];
    const wrong: string[] = [];
    let calls = 0;
    for (const route of routes) {
      const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
      const fills: Record<string, string>[] = params.includes('id') ? alpha.ids.map((id) => ({ id })) : [{}];
      for (const fill of fills) {
        const values: Record<string, string> = { name: 'default', channel: alpha.account.channel, account: alpha.account.account, ...fill };
        const path = route.path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(values[name]!));
        for (const query of QUERIES[keyOf(route)]?.(alpha) ?? [{}]) {
          const search = new URLSearchParams(Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined)).toString();
          const body = BODIES[keyOf(route)]?.(alpha);
          const response = await server.fetch(`${path}${search ? `?${search}` : ''}`, {
            method: route.method.toUpperCase(), token: betaToken,
            ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
          });
          calls += 1;
          const text = await response.text();
          const sent = `${path} ${search} ${JSON.stringify(body ?? '')}`;
          // What beta sent may come back (a 404 names the id it was asked for); nothing else of alpha's may.
          const found = [SECRET, alpha.pairingCode, ...alpha.ids].filter((secret) => text.includes(secret) && !sent.includes(secret));
          if (found.length > 0) leaks.push(`${keyOf(route)} ${search}: ${found.join(', ')}`);
          if (response.status >= 500) wrong.push(`${keyOf(route)} ${search} → ${response.status}`);
          // 400 only where the request itself is wrong whoever asks (merging a contact into itself).
          const namesAlphaRow = Object.keys(fill).length > 0 || params.includes('channel');
          const selfMerge = response.status === 400 && fill.id === alpha.contacts[0] && route.path.endsWith('/merge');
          if (namesAlphaRow && response.status !== 404 && !selfMerge) wrong.push(`${keyOf(route)} ${fill.id ?? ''} → ${response.status} ${text.slice(0, 120)}`);
        }
      }
    }
    expect(calls).toBeGreaterThan(100);
    expect(leaks).toEqual([]);
    expect(wrong).toEqual([]);
    // Refused writes and beta's own work alike left alpha's rows exactly as they were.
    expect(await fingerprint(server, alphaTenant)).toEqual(before);
  });

  it('refuses beta alpha\'s installation-unique account id (409); beta naming it speaks in beta, and no reply goes out as alpha\'s', async () => {
    const taken = await server.fetch('/v1/channels', {
      method: 'POST', token: betaToken, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ channel: 'whatsapp', accountId: 'alpha-wa' }),
    });
    expect(taken.status).toBe(409);
    const beta = server.client(betaToken);
    const posted = await beta.inbound({ channel: 'whatsapp', accountId: 'alpha-wa', sender: { id: '8001' }, messageId: randomUUID(), text: 'as alpha?' }, { wait: true });
    expect(posted.reply?.text).toBe('echo: as alpha?');
    expect((await beta.contacts.list()).map((c) => c.id)).toContain(posted.contactId);
    expect(alpha.contacts).not.toContain(posted.contactId);

    // Alpha's gateway, holding alpha's account, is handed alpha's replies only.
    const gateway = server.client(server.gatewayToken);
    expect((await gateway.channels.takeLease('whatsapp', 'alpha-wa', { holder: 'alpha-gw', ttlMs: 60_000 })).granted).toBe(true);
    const claimed = await gateway.outbox.claim({ channel: 'whatsapp', account: 'alpha-wa', holder: 'alpha-gw', limit: 100 });
    expect(claimed.length).toBeGreaterThan(0);
    expect(claimed.map((item) => item.text)).not.toContain('echo: as alpha?');
  });
});

describeEachEngine('two tenants × (owner, person, group) over the memory tools (real MCP client, turn tokens)', (env) => {
  const grants = createTurnGrants();
  let server: Server;
  let url: URL;
  let alphaIds: string[];
  let betaScopes: Record<'owner' | 'person' | 'group', Scope>;

  beforeAll(async () => {
    const app = createApp({ services: env.services, grants, authenticate: async () => undefined });
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
    const beta = await env.services.tenants.create({ slug: 'mcp-beta' });
    const resolve = async (tenantId: typeof env.tenantId, externalId: string, kind: 'person' | 'group') =>
      (await env.services.contacts.resolve(ownerScope(tenantId), { channel: 'telegram', externalId, kind })).contactId;
    const alphaPerson = contactScope(env.tenantId, await resolve(env.tenantId, '9001', 'person'));
    const alphaGroup = contactScope(env.tenantId, await resolve(env.tenantId, '-9001', 'group'));
    alphaIds = [
      (await env.services.memories.remember(alphaPerson, { content: `${SECRET} person note` })).id,
      (await env.services.memories.remember(alphaGroup, { content: `${SECRET} group note` })).id,
      (await env.services.memories.remember(env.owner, { content: `${SECRET} owner note` })).id,
      (await env.services.memories.remember(env.owner, { content: `${SECRET} shared note`, visibility: 'shared' })).id,
    ];
    betaScopes = {
      owner: ownerScope(beta.id),
      person: contactScope(beta.id, await resolve(beta.id, '9001', 'person')),
      group: contactScope(beta.id, await resolve(beta.id, '-9001', 'group')),
    };
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  const text = (result: Awaited<ReturnType<Client['callTool']>>) =>
    (result.content as { type: string; text: string }[]).map((part) => part.text).join('');

  it.each(['owner', 'person', 'group'] as const)('beta\'s %s turn recalls nothing of alpha, cannot forget alpha\'s memories, and remembers into beta only', async (kind) => {
    const { token, revoke } = grants.mint({ scope: betaScopes[kind], authorContactId: null, eventId: null }, 60_000);
    const client = new Client({ name: 'matrix', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    try {
      for (const query of [SECRET, 'note', 'person group owner shared']) {
        expect(text(await client.callTool({ name: 'recall', arguments: { query } }))).toBe('[]');
      }
      for (const id of alphaIds) expect(text(await client.callTool({ name: 'forget', arguments: { id } }))).toBe('error: no such memory');
      const stored = JSON.parse(text(await client.callTool({ name: 'remember', arguments: { content: `beta ${kind} note` } })));
      expect(stored.content).toBe(`beta ${kind} note`);
    } finally {
      await client.close();
      revoke();
    }
    const alphaRows = await env.admin<{ id: string }>('select id from memories where tenant_id = $1 order by id', [env.tenantId]);
    expect(alphaRows.map((row) => row.id).sort()).toEqual([...alphaIds].sort());
    const [betaRow] = await env.admin<{ tenant_id: string }>('select tenant_id from memories where content = $1', [`beta ${kind} note`]);
    expect(betaRow?.tenant_id).toBe(betaScopes[kind].tenantId);
  });
});
