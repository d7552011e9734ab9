import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describeEachServer, type TestServer } from '../../../../test/server-harness';

const sha256 = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

interface Route {
  method: string;
  path: string;
  body?: unknown;
}

/** Routes only the owner may use; each would succeed (2xx) for the owner. */
const ownerOnly: Route[] = [
  { method: 'GET', path: '/v1/contacts' },
  { method: 'GET', path: '/v1/memories' },
  { method: 'GET', path: '/v1/memories?q=tea' },
  { method: 'GET', path: '/v1/sessions' },
  { method: 'GET', path: '/v1/sessions?contact=owner' },
  { method: 'GET', path: '/v1/agents' },
  { method: 'GET', path: '/v1/agents/default' },
  { method: 'GET', path: '/v1/agents/default/check' },
  { method: 'GET', path: '/v1/pairing' },
  { method: 'POST', path: '/v1/sessions/reset', body: { contact: 'owner', thread: 'auth-test' } },
];

/** Owner-only routes that change something: the gateway must be stopped before the change. */
const ownerOnlyWrites: Route[] = [
  { method: 'POST', path: '/v1/memories', body: { content: 'planted by the gateway' } },
  { method: 'PATCH', path: '/v1/agents/default', body: { dmPolicy: 'allowlist' } },
  { method: 'POST', path: '/v1/agents', body: { name: 'planted-by-gateway' } },
  { method: 'POST', path: '/v1/pairing/approve', body: { code: 'ABCDEF12' } },
];

function call(server: TestServer, route: Route, token: string | null, headers: Record<string, string> = {}): Promise<Response> {
  return server.fetch(route.path, {
    method: route.method,
    token,
    headers: { ...headers, ...(route.body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(route.body === undefined ? {} : { body: JSON.stringify(route.body) }),
  });
}

async function expectError(response: Response, status: number, code: string): Promise<void> {
  const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
  expect({ status: response.status, code: body.error?.code }).toEqual({ status, code });
  expect(body.error?.message).toEqual(expect.stringMatching(/\S/));
}

const dm = (sender: string) => ({ channel: 'telegram', sender: { id: sender }, messageId: randomUUID(), text: 'hi' });
const inboundRoute = (): Route => ({ method: 'POST', path: '/v1/inbound', body: dm(`auth-${randomUUID()}`) });

describeEachServer('bearer authentication', (server) => {
  describe('without a valid token', () => {
    const badHeaders: [string, () => Record<string, string>][] = [
      ['no Authorization header', () => ({})],
      ['an unknown bearer token', () => ({ authorization: `Bearer wrong-token-${randomBytes(16).toString('hex')}` })],
      ['the owner token missing its last character', () => ({ authorization: `Bearer ${server.ownerToken.slice(0, -1)}` })],
      ['the owner token with a character appended', () => ({ authorization: `Bearer ${server.ownerToken}x` })],
      ['Basic credentials', () => ({ authorization: `Basic ${Buffer.from(`owner:${server.ownerToken}`).toString('base64')}` })],
      ['the owner token without a scheme', () => ({ authorization: server.ownerToken })],
      ['Bearer without a token', () => ({ authorization: 'Bearer' })],
      ['Bearer and two spaces before the token', () => ({ authorization: `Bearer  ${server.ownerToken}` })],
      ['Bearer with a token split by spaces', () => ({ authorization: `Bearer ${server.ownerToken.slice(0, 8)} ${server.ownerToken.slice(8)}` })],
      ['two bearer tokens', () => ({ authorization: `Bearer ${server.ownerToken}, Bearer ${server.gatewayToken}` })],
    ];

    it.each(badHeaders)('answers 401 to %s on an owner route and on inbound', async (_name, headers) => {
      const before = await server.admin<{ n: number }>('select count(*)::int as n from inbound_events');
      await expectError(await call(server, { method: 'GET', path: '/v1/contacts' }, null, headers()), 401, 'unauthorized');
      await expectError(await call(server, inboundRoute(), null, headers()), 401, 'unauthorized');
      expect(await server.admin('select count(*)::int as n from inbound_events')).toEqual(before);
    });

    it('answers 401, not 404, on unknown /v1 routes', async () => {
      await expectError(await call(server, { method: 'GET', path: '/v1/nothing' }, null), 401, 'unauthorized');
    });

    it('answers /healthz without a token, and with a wrong one', async () => {
      for (const token of [null, 'wrong-token-0123456789abcdef']) {
        const response = await call(server, { method: 'GET', path: '/healthz' }, token);
        expect({ status: response.status, body: await response.json() }).toEqual({ status: 200, body: { ok: true } });
      }
    });
  });

  describe('the gateway token', () => {
    it('may post inbound messages for an existing account, resolve contacts and read the outbox of an account it leases', async () => {
      await server.client().channels.add({ channel: 'whatsapp', accountId: 'auth-gw' });
      const message = { ...dm(`auth-${randomUUID()}`), channel: 'whatsapp', accountId: 'auth-gw' };
      const inbound = await call(server, { method: 'POST', path: '/v1/inbound', body: message }, server.gatewayToken);
      expect({ status: inbound.status, body: await inbound.json() }).toMatchObject({ status: 202, body: { status: 'queued' } });
      // A contact is resolved in the tenant of the account it wrote to; an account no tenant has is 404.
      const resolve = { method: 'POST', path: '/v1/contacts/resolve', body: { channel: 'whatsapp', accountId: 'auth-gw', externalId: `auth-${randomUUID()}` } };
      expect((await call(server, resolve, server.gatewayToken)).status).toBe(201);
      const nowhere = { method: 'POST', path: '/v1/contacts/resolve', body: { channel: 'discord', externalId: `auth-${randomUUID()}` } };
      expect((await call(server, nowhere, server.gatewayToken)).status).toBe(404);
      await server.client(server.gatewayToken).channels.takeLease('whatsapp', 'auth-gw', { holder: 'auth-gw-holder', ttlMs: 60_000 });
      const outbox = await call(server, { method: 'GET', path: '/v1/outbox?channel=whatsapp&account=auth-gw&holder=auth-gw-holder' }, server.gatewayToken);
      expect({ status: outbox.status, body: await outbox.json() }).toEqual({ status: 200, body: { items: expect.any(Array) } });
      await server.client().channels.remove('whatsapp', 'auth-gw');
    });

    it.each(ownerOnly)('gets 403 on owner-only $method $path', async (route) => {
      await expectError(await call(server, route, server.gatewayToken), 403, 'forbidden');
    });

    it.each(ownerOnlyWrites)('gets 403 on owner-only $method $path and changes nothing', async (route) => {
      const memories = await server.admin('select count(*)::int as n from memories');
      const agent = await server.admin('select config, provider, system_prompt from agents');
      await expectError(await call(server, route, server.gatewayToken), 403, 'forbidden');
      expect(await server.admin('select count(*)::int as n from memories')).toEqual(memories);
      expect(await server.admin('select config, provider, system_prompt from agents')).toEqual(agent);
    });
  });

  describe('the owner token', () => {
    it.each(ownerOnly)('works on $method $path', async (route) => {
      const response = await call(server, route, server.ownerToken);
      expect(response.status).toBe(200);
    });

    it('works on inbound, resolve and the outbox too', async () => {
      expect((await call(server, inboundRoute(), server.ownerToken)).status).toBe(202);
      const resolve = { method: 'POST', path: '/v1/contacts/resolve', body: { channel: 'discord', externalId: `auth-${randomUUID()}` } };
      expect((await call(server, resolve, server.ownerToken)).status).toBe(201);
      expect((await call(server, { method: 'GET', path: '/v1/outbox' }, server.ownerToken)).status).toBe(200);
    });
  });

  describe('token storage', () => {
    it('writes both token files with mode 0600, distinct and long', () => {
      const tokens = ['owner-token', 'gateway-token'].map((name) => {
        const path = join(server.home, name);
        expect({ name, mode: (statSync(path).mode & 0o777).toString(8) }).toEqual({ name, mode: '600' });
        return readFileSync(path, 'utf8').trim();
      });
      expect(tokens).toEqual([server.ownerToken, server.gatewayToken]);
      expect(tokens[0]).not.toBe(tokens[1]);
      for (const token of tokens) expect(token.length).toBeGreaterThanOrEqual(32);
    });

    it('keeps only sha256 hashes of the tokens in api_tokens', async () => {
      const rows = await server.admin<{ kind: string; token_hash: string; whole: string }>(
        'select kind, token_hash, row_to_json(t)::text as whole from api_tokens t order by kind',
      );
      expect(rows.map(({ kind, token_hash }) => ({ kind, token_hash }))).toEqual([
        { kind: 'admin', token_hash: sha256(server.adminToken) },
        { kind: 'gateway', token_hash: sha256(server.gatewayToken) },
        { kind: 'owner', token_hash: sha256(server.ownerToken) },
      ]);
      for (const { whole } of rows) {
        expect(whole).not.toContain(server.ownerToken);
        expect(whole).not.toContain(server.gatewayToken);
      }
    });
  });
});

const envOwnerToken = `sb-env-owner-${randomBytes(24).toString('base64url')}`;

describeEachServer('bearer authentication with SB_OWNER_TOKEN', (server) => {
  it('accepts the token from the environment as the owner', async () => {
    const contacts = await call(server, { method: 'GET', path: '/v1/contacts' }, envOwnerToken);
    expect({ status: contacts.status, body: await contacts.json() }).toEqual({ status: 200, body: { contacts: expect.any(Array) } });
    expect((await call(server, inboundRoute(), envOwnerToken)).status).toBe(202);
  });

  it('writes no owner-token file but still generates the gateway token file', () => {
    expect(existsSync(join(server.home, 'owner-token'))).toBe(false);
    expect(statSync(join(server.home, 'gateway-token')).mode & 0o777).toBe(0o600);
  });

  it('stores only the sha256 hash of the environment token', async () => {
    const rows = await server.admin<{ token_hash: string; whole: string }>(
      `select token_hash, row_to_json(t)::text as whole from api_tokens t where kind = 'owner'`,
    );
    expect(rows.map((row) => row.token_hash)).toEqual([sha256(envOwnerToken)]);
    expect(rows[0]?.whole).not.toContain(envOwnerToken);
    const dump = await server.admin<{ whole: string }>('select row_to_json(t)::text as whole from api_tokens t');
    expect(dump.some((row) => row.whole.includes(envOwnerToken))).toBe(false);
  });

  it('gives the gateway token no owner rights', async () => {
    await expectError(await call(server, { method: 'GET', path: '/v1/contacts' }, server.gatewayToken), 403, 'forbidden');
  });
}, { SB_OWNER_TOKEN: envOwnerToken });
