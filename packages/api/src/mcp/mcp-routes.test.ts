import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ContactId } from '@switchboard/shared';
import { describeEachEngine } from '../../../../test/engines';
import { contactScope, type Scope } from '../db/scope';
import { createApp } from '../http/create-app';
import { createTurnGrants } from '../agents/turn-grants';

describeEachEngine('memory tools over MCP with turn tokens (real MCP client)', (env) => {
  let clock = 0;
  const grants = createTurnGrants(() => clock);
  let server: Server;
  let url: URL;
  let aId: ContactId;
  let a: Scope;
  let b: Scope;
  let bMemoryId: string;

  beforeAll(async () => {
    const app = createApp({ services: env.services, grants, authenticate: async () => undefined });
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
    const resolve = async (id: string) =>
      (await env.services.contacts.resolve(env.owner, { channel: 'telegram', externalId: id, kind: 'person' })).contactId;
    aId = await resolve('mcp-a');
    a = contactScope(env.tenantId, aId);
    b = contactScope(env.tenantId, await resolve('mcp-b'));
    bMemoryId = (await env.services.memories.remember(b, { content: 'B keeps bees' })).id;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  async function connect(token: string): Promise<Client> {
    const client = new Client({ name: 'test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    return client;
  }
  const text = (result: Awaited<ReturnType<Client['callTool']>>) =>
    (result.content as { type: string; text: string }[]).map((part) => part.text).join('');
  const post = (token: string) =>
    fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });

  it('lists the three memory tools and remembers and recalls within the token\'s scope', async () => {
    const { token, revoke } = grants.mint({ scope: a, authorContactId: null, eventId: null }, 60_000);
    const client = await connect(token);
    try {
      expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual(['forget', 'recall', 'remember']);
      const stored = JSON.parse(text(await client.callTool({ name: 'remember', arguments: { content: 'A plays the oboe' } })));
      expect(stored.content).toBe('A plays the oboe');
      expect(text(await client.callTool({ name: 'recall', arguments: { query: 'oboe' } }))).toContain('A plays the oboe');
      expect(text(await client.callTool({ name: 'recall', arguments: { query: 'bees' } }))).toBe('[]');
    } finally {
      await client.close();
      revoke();
    }
    const aMemories = await env.services.memories.list(a);
    expect(aMemories.map((memory) => memory.content)).toContain('A plays the oboe');
    expect((await env.services.memories.list(b)).map((memory) => memory.content)).not.toContain('A plays the oboe');
  });

  it('cannot forget another contact\'s memory by its id: not found, and it stays', async () => {
    const { token, revoke } = grants.mint({ scope: a, authorContactId: null, eventId: null }, 60_000);
    const client = await connect(token);
    try {
      const result = await client.callTool({ name: 'forget', arguments: { id: bMemoryId } });
      expect(text(result)).toBe('error: no such memory');
      expect(result.isError).toBe(true);
      expect(text(await client.callTool({ name: 'forget', arguments: { id: 'not-a-uuid' } }))).toBe('error: no such memory');
    } finally {
      await client.close();
      revoke();
    }
    expect((await env.services.memories.list(b)).map((memory) => memory.id)).toContain(bMemoryId);
  });

  it('answers 401 to a revoked, an expired and a foreign token, and to none', async () => {
    const revoked = grants.mint({ scope: a, authorContactId: null, eventId: null }, 60_000);
    expect((await post(revoked.token)).status).toBe(200);
    revoked.revoke();
    const gone = await post(revoked.token);
    expect(gone.status).toBe(401);
    expect(gone.headers.get('www-authenticate')).toBe('Bearer');
    expect(await gone.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32001 } });

    const expiring = grants.mint({ scope: a, authorContactId: null, eventId: null }, 1000);
    expect((await post(expiring.token)).status).toBe(200);
    clock += 1000;
    expect((await post(expiring.token)).status).toBe(401);

    const foreign = createTurnGrants().mint({ scope: a, authorContactId: null, eventId: null }, 60_000);
    expect((await post(foreign.token)).status).toBe(401);
    expect((await fetch(url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(401);
    await expect(connect(revoked.token)).rejects.toThrow();
  });

  it('stores what a group turn remembers as the group\'s, authored by the speaker', async () => {
    const group = await env.services.contacts.resolveGroupMember(
      env.owner, { channel: 'telegram', externalId: 'mcp-group' }, { channel: 'telegram', externalId: 'mcp-a' },
    );
    const scope = contactScope(env.tenantId, group.groupId);
    const { token, revoke } = grants.mint({ scope, authorContactId: aId, eventId: null }, 60_000);
    const client = await connect(token);
    try {
      await client.callTool({ name: 'remember', arguments: { content: 'the group rehearses on Sundays' } });
    } finally {
      await client.close();
      revoke();
    }
    const stored = await env.services.memories.list(scope);
    expect(stored.map((memory) => [memory.content, memory.authorContactId])).toEqual([['the group rehearses on Sundays', aId]]);
    expect((await env.services.memories.list(a)).map((memory) => memory.content)).not.toContain('the group rehearses on Sundays');
  });

  it('refuses GET and DELETE: the endpoint is stateless', async () => {
    const { token, revoke } = grants.mint({ scope: a, authorContactId: null, eventId: null }, 60_000);
    expect((await fetch(url, { headers: { authorization: `Bearer ${token}` } })).status).toBe(405);
    expect((await fetch(url, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })).status).toBe(405);
    revoke();
  });
});
