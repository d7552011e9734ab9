import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { describeEachEngine } from '../../../../test/engines';
import { runEchoTurn } from '../../../../test/echo-turns';
import { findTokenOwner, registerToken } from '../auth/token-repo';
import { contactScope } from '../db/scope';
import { createApp } from './create-app';

const OWNER_TOKEN = 'owner-token-for-http-tests';
const GATEWAY_TOKEN = 'gateway-token-for-http-tests';

describeEachEngine('HTTP API over a real socket', (env) => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    await registerToken(env.db, env.tenantId, 'owner', OWNER_TOKEN);
    await registerToken(env.db, null, 'gateway', GATEWAY_TOKEN);
    const app = createApp({ services: env.services, authenticate: (token) => findTokenOwner(env.db, token) });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  async function call(method: string, path: string, body?: unknown, token = OWNER_TOKEN, raw?: string) {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  }

  it('answers the health check without a token', async () => {
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  it('answers 401 for a missing or unknown token and 403 for a gateway token on an owner route', async () => {
    const missing = await fetch(`${base}/v1/contacts`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ error: { code: 'unauthorized', message: 'Missing or malformed bearer token' } });
    expect((await call('GET', '/v1/contacts', undefined, 'not-a-token')).status).toBe(401);
    const forbidden = await call('GET', '/v1/memories', undefined, GATEWAY_TOKEN);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('forbidden');
  });

  it('stores only the hash of a token', async () => {
    const rows = await env.admin<{ token_hash: string }>('select token_hash from api_tokens');
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(rows)).not.toContain(OWNER_TOKEN);
  });

  it('shows no token row to any scope that does not present the token itself', async () => {
    const contact = (await env.services.contacts.resolve(env.owner, { channel: 'cli', externalId: 'token-peek', kind: 'person' })).contactId;
    for (const scope of [env.owner, contactScope(env.tenantId, contact)]) {
      const { rows } = await env.db.transaction(scope, (tx) => tx.query<{ n: number }>('select count(*)::int as n from api_tokens'));
      expect(rows[0]!.n).toBe(0);
    }
    expect(await findTokenOwner(env.db, OWNER_TOKEN)).toEqual({ tenantId: env.tenantId, kind: 'owner' });
  });

  it('resolves a sender for the gateway, in the tenant of the receiving account, and lists it for the owner', async () => {
    await env.services.channels.add(env.owner, { channel: 'telegram', token: '4242:http-test-bot-token' });
    const first = await call('POST', '/v1/contacts/resolve', { channel: 'telegram', accountId: '4242', externalId: 'http-1', displayName: 'Ana' }, GATEWAY_TOKEN);
    expect(first.status).toBe(201);
    expect(first.body.contact).toMatchObject({ kind: 'person', displayName: 'Ana', identities: [{ channel: 'telegram', externalId: 'http-1' }] });
    const again = await call('POST', '/v1/contacts/resolve', { channel: 'telegram', accountId: '4242', externalId: 'http-1' }, GATEWAY_TOKEN);
    expect(again.status).toBe(200);
    expect(again.body.contact.id).toBe(first.body.contact.id);
    const listed = await call('GET', '/v1/contacts');
    expect(listed.body.contacts.map((c: { id: string }) => c.id)).toContain(first.body.contact.id);
    expect((await call('GET', `/v1/contacts/${first.body.contact.id}`)).body.contact.displayName).toBe('Ana');
  });

  it('filters memories by contact or owner and edits them with history', async () => {
    const a = (await call('POST', '/v1/contacts/resolve', { channel: 'telegram', externalId: 'http-mem-a' })).body.contact.id as string;
    await env.services.memories.remember(contactScope(env.tenantId, a as never), { content: 'A likes tea' });
    const own = await call('POST', '/v1/memories', { content: 'owner knows the plan' });
    expect(own.status).toBe(201);
    expect(own.body.memory).toMatchObject({ contactId: null, visibility: 'private' });

    const ownerOnly = await call('GET', '/v1/memories?contact=owner');
    expect(ownerOnly.body.memories.every((m: { contactId: string | null }) => m.contactId === null)).toBe(true);
    const onlyA = await call('GET', `/v1/memories?contact=${a}`);
    expect(onlyA.body.memories.map((m: { content: string }) => m.content)).toEqual(['A likes tea']);
    const all = await call('GET', '/v1/memories');
    expect(all.body.memories.map((m: { content: string }) => m.content)).toEqual(expect.arrayContaining(['A likes tea', 'owner knows the plan']));
    const searched = await call('GET', '/v1/memories?q=tea');
    expect(searched.body.memories.map((m: { content: string }) => m.content)).toEqual(['A likes tea']);

    const id = own.body.memory.id as string;
    expect((await call('PATCH', `/v1/memories/${id}`, { visibility: 'shared' })).body.memory.visibility).toBe('shared');
    expect((await call('DELETE', `/v1/memories/${id}`)).status).toBe(200);
    expect((await call('GET', `/v1/memories/${id}`)).status).toBe(404);
    const history = await call('GET', `/v1/memories/${id}/history`);
    expect(history.body.events.map((e: { kind: string }) => e.kind)).toEqual(['add', 'edit', 'delete']);
  });

  it('lists sessions, shows a transcript and resets a contact’s chat', async () => {
    const c = (await call('POST', '/v1/contacts/resolve', { channel: 'discord', externalId: 'http-sess' })).body.contact.id as string;
    const turn = await runEchoTurn(env, { channel: 'discord', sender: { id: 'http-sess' }, text: 'hi there' });
    expect(turn.contactId).toBe(c);
    const listed = await call('GET', `/v1/sessions?contact=${c}`);
    expect(listed.body.sessions.map((s: { id: string }) => s.id)).toEqual([turn.sessionId]);
    const transcript = await call('GET', `/v1/sessions/${turn.sessionId}/messages`);
    expect(transcript.body.messages.map((m: { text: string }) => m.text)).toEqual(['hi there', 'echo: hi there']);
    const reset = await call('POST', '/v1/sessions/reset', { contact: c });
    expect(reset.body).toMatchObject({ reset: true, session: { id: turn.sessionId, status: 'closed' } });
    expect((await call('POST', '/v1/sessions/reset', { contact: c })).body.reset).toBe(false);
  });

  it('erases a contact and reports the counts', async () => {
    const c = (await call('POST', '/v1/contacts/resolve', { channel: 'whatsapp', externalId: '+15550100' })).body.contact.id as string;
    await env.services.memories.remember(contactScope(env.tenantId, c as never), { content: 'to be erased' });
    const erased = await call('DELETE', `/v1/contacts/${c}`);
    expect(erased.status).toBe(200);
    expect(erased.body.deleted).toMatchObject({ contacts: 1, identities: 1, memories: 1 });
    expect((await call('GET', `/v1/contacts/${c}`)).status).toBe(404);
  });

  it.each([
    ['malformed JSON', 'POST', '/v1/memories', undefined, '{"content": '],
    ['a missing field', 'POST', '/v1/memories', {}, undefined],
    ['an extra field', 'POST', '/v1/memories', { content: 'x', tenantId: 'other' }, undefined],
    ['a wrong type', 'POST', '/v1/memories', { content: 42 }, undefined],
    ['an empty text', 'POST', '/v1/memories', { content: '   ' }, undefined],
    ['an unknown visibility', 'POST', '/v1/memories', { content: 'x', visibility: 'public' }, undefined],
    ['an unknown channel', 'POST', '/v1/contacts/resolve', { channel: 'fax', externalId: '1' }, undefined],
    ['SQL in an id', 'GET', "/v1/memories/1';drop table memories;--", undefined, undefined],
    ['SQL in a filter', 'GET', "/v1/memories?contact=' or 1=1 --", undefined, undefined],
    ['an empty patch', 'PATCH', '/v1/memories/00000000-0000-4000-8000-000000000000', {}, undefined],
  ])('rejects %s with 400 and the error shape, storing nothing', async (_name, method, path, body, raw) => {
    const [before] = await env.admin<{ n: number }>('select (select count(*) from memories) + (select count(*) from contacts) as n');
    const response = await call(method, path, body, OWNER_TOKEN, raw);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: 'invalid_input', message: expect.any(String) });
    const [after] = await env.admin<{ n: number }>('select (select count(*) from memories) + (select count(*) from contacts) as n');
    expect(after).toEqual(before);
  });

  it('answers 413 for a body over the limit and 404 with the error shape for an unknown route', async () => {
    const big = await call('POST', '/v1/memories', { content: 'x'.repeat(1024 * 1024) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');
    const unknown = await call('GET', '/v1/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
  });
});
