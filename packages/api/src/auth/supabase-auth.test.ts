/**
 * Supabase Auth users as tenant owners, through the real server pointed at a fake Supabase Auth
 * server (local JWKS, password sign-in and user endpoints; tokens signed with jose): users signed in
 * with supabase-js reach their own tenant only; expired, foreign and badly signed tokens get 401,
 * a valid token of a user who owns no tenant 403; an address links at its first confirmed sign-in.
 */
import { randomUUID } from 'node:crypto';
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { isAppError, type ApiClient, type ContactId, type TenantCreated } from '@switchboard/shared';
import { describeEachServer } from '../../../../test/server-harness';
import { startFakeSupabaseAuth, type FakeSupabaseAuth, type FakeUser } from './testing/fake-supabase-auth';

const status = (promise: Promise<unknown>) =>
  promise.then(() => 200, (error: unknown) => (isAppError(error) ? error.status : Promise.reject(error)));

/** The body of a refused request: its status and error message. */
async function refusal(response: Response): Promise<[number, string]> {
  const body = (await response.json()) as { error: { message: string } };
  return [response.status, body.error.message];
}

describe('Supabase Auth against a fake Supabase Auth server', () => {
  const env: Record<string, string> = {};
  let fake: FakeSupabaseAuth;
  beforeAll(async () => {
    fake = await startFakeSupabaseAuth();
    Object.assign(env, { SUPABASE_URL: fake.url, SUPABASE_ANON_KEY: fake.anonKey, SUPABASE_JWT_SECRET: fake.jwtSecret });
  });
  afterAll(() => fake.close());

  const signIn = async (user: FakeUser): Promise<string> => {
    // supabase-js builds its realtime client eagerly; Node 20 has no WebSocket of its own.
    const realtime = { transport: WebSocket as unknown as NonNullable<NonNullable<Parameters<typeof createClient>[2]>['realtime']>['transport'] };
    const supabase = createClient(fake.url, fake.anonKey, { auth: { persistSession: false, autoRefreshToken: false }, realtime });
    const { data, error } = await supabase.auth.signInWithPassword({ email: user.email, password: user.password });
    if (error || !data.session) throw new Error(`sign-in against the fake failed: ${error?.message}`);
    return data.session.access_token;
  };

  describeEachServer('Supabase access tokens (real server, fake Supabase Auth)', (server) => {
    let admin: ApiClient;
    let ana: FakeUser;
    let alpha: TenantCreated;
    const say = (client: ApiClient, sender: string, text: string) =>
      client.inbound({ channel: 'telegram', sender: { id: sender, displayName: `person ${sender}` }, messageId: randomUUID(), text }, { wait: true });
    const get = (path: string, token: string) => server.fetch(path, { token });

    beforeAll(async () => {
      admin = server.client(server.adminToken);
      ana = fake.addUser(`ana-${server.engine}@example.com`, 'ana-password');
      alpha = await admin.tenants.create({ slug: 'alpha', ownerUserId: ana.id });
    });

    it('links a user by id at creation, and her supabase-js sign-in token owns that tenant and nothing else', async () => {
      expect(alpha.member).toEqual({ userId: ana.id, email: null, role: 'owner' });
      const token = await signIn(ana);
      expect(token.split('.')).toHaveLength(3);
      const member = server.client(token);
      expect((await member.agents.list()).map((a) => [a.name, a.provider])).toEqual([['default', 'echo']]);
      expect((await say(member, '7001', 'hello alpha')).reply?.text).toBe('echo: hello alpha');

      const home = await say(server.client(), '7002', 'hello default');
      const mine = await member.contacts.list();
      expect(mine.map((c) => c.displayName)).toEqual(['person 7001']);
      expect(await status(member.contacts.get(home.contactId as ContactId))).toBe(404);
      const [inAlpha] = await server.admin<{ n: number }>('select count(*)::int as n from contacts where tenant_id = $1', [alpha.id]);
      expect(inAlpha?.n).toBe(1);
    });

    it('verifies locally: once the key set is fetched, requests ask the Auth server nothing', async () => {
      const token = await signIn(ana);
      expect((await get('/v1/agents', token)).status).toBe(200);
      const before = { ...fake.requests };
      expect(before.jwks).toBeGreaterThan(0);
      for (let i = 0; i < 5; i += 1) expect((await get('/v1/agents', await signIn(ana))).status).toBe(200);
      expect(fake.requests).toEqual(before);
    });

    it('answers 401 to an expired token, a wrong issuer, a wrong audience, an unpublished key id and a forged signature', async () => {
      const now = Math.floor(Date.now() / 1000);
      const expired = await fake.sign(ana, { claims: { iat: now - 7200, exp: now - 3600 } });
      expect(await refusal(await get('/v1/agents', expired))).toEqual([401, 'Supabase access token refused: it has expired']);
      const foreign = await fake.sign(ana, { claims: { iss: 'https://other-project.supabase.co/auth/v1' } });
      expect(await refusal(await get('/v1/agents', foreign))).toEqual([401, 'Supabase access token refused: its iss claim is not this project\'s']);
      const anon = await fake.sign(ana, { claims: { aud: 'anon' } });
      expect(await refusal(await get('/v1/agents', anon))).toEqual([401, 'Supabase access token refused: its aud claim is not this project\'s']);
      const unpublished = await fake.sign(ana, { key: 'unpublished' });
      expect(await refusal(await get('/v1/agents', unpublished))).toEqual([401, 'Supabase access token refused: its key id is not among the project\'s keys']);
      const [header, , signature] = (await fake.sign(ana)).split('.');
      const forgedPayload = Buffer.from(JSON.stringify({ sub: randomUUID(), aud: 'authenticated', iss: fake.issuer, exp: now + 600 })).toString('base64url');
      expect(await refusal(await get('/v1/agents', `${header}.${forgedPayload}.${signature}`))).toEqual([401, 'Supabase access token refused: its signature does not verify']);
    });

    it('accepts a legacy project\'s HS256 token signed with SUPABASE_JWT_SECRET, and refuses one signed with another secret', async () => {
      const legacy = await fake.sign(ana, { key: 'legacy' });
      expect(JSON.parse(Buffer.from(legacy.split('.')[0]!, 'base64url').toString())).toMatchObject({ alg: 'HS256' });
      expect((await server.client(legacy).agents.list()).map((a) => a.name)).toEqual(['default']);
      const [header, payload] = legacy.split('.');
      expect((await get('/v1/agents', `${header}.${payload}.${Buffer.from('x'.repeat(32)).toString('base64url')}`)).status).toBe(401);
    });

    it('answers 403 to a valid token whose user owns no tenant', async () => {
      const stranger = fake.addUser(`stranger-${server.engine}@example.com`, 'stranger-password');
      const [code, message] = await refusal(await get('/v1/agents', await signIn(stranger)));
      expect([code, message]).toEqual([403, `Supabase user ${stranger.id} owns no tenant here`]);
    });

    it('binds an address linked by email at its first confirmed sign-in, and not before the address is confirmed', async () => {
      const bea = fake.addUser(`bea-${server.engine}@example.com`, 'bea-password');
      const beta = await admin.tenants.create({ slug: 'beta', ownerEmail: bea.email.toUpperCase() });
      expect(beta.member).toEqual({ userId: null, email: bea.email, role: 'owner' });
      const unconfirmed = fake.addUser(`cid-${server.engine}@example.com`, 'cid-password', false);
      await admin.tenants.create({ slug: 'gamma', ownerEmail: unconfirmed.email });

      expect((await get('/v1/agents', await signIn(unconfirmed))).status).toBe(403);
      const userCalls = fake.requests.user;
      expect((await say(server.client(await signIn(bea)), '7101', 'hello beta')).reply?.text).toBe('echo: hello beta');
      expect(fake.requests.user).toBe(userCalls + 1);
      const members = await server.admin<{ slug: string; user_id: string | null }>(
        'select t.slug, m.user_id from tenant_members m join tenants t on t.id = m.tenant_id where t.slug in ($1, $2) order by 1', ['beta', 'gamma']);
      expect(members).toEqual([{ slug: 'beta', user_id: bea.id }, { slug: 'gamma', user_id: null }]);
      expect((await server.client(await signIn(bea)).contacts.list()).map((c) => c.displayName)).toEqual(['person 7101']);
    });

    it('refuses a member\'s token on the admin routes (403)', async () => {
      const token = await signIn(ana);
      expect((await get('/v1/tenants', token)).status).toBe(403);
      expect((await server.fetch('/v1/tenants/beta', { method: 'DELETE', token })).status).toBe(403);
    });

    it('answers 400 to an owner named twice or badly, and 409 to a user who already owns a tenant', async () => {
      const post = (body: unknown) => server.fetch('/v1/tenants', {
        method: 'POST', token: server.adminToken, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
      }).then((r) => r.status);
      expect(await post({ slug: 'delta', ownerEmail: 'x@example.com', ownerUserId: randomUUID() })).toBe(400);
      expect(await post({ slug: 'delta', ownerEmail: 'not an address' })).toBe(400);
      expect(await post({ slug: 'delta', ownerUserId: 'not-a-uuid' })).toBe(400);
      expect(await post({ slug: 'delta', ownerUserId: ana.id })).toBe(409);
      expect((await admin.tenants.list()).map((t) => t.slug)).not.toContain('delta');
    });

    it('links an owner to an existing tenant and unlinks it: the sign-in works from the link and stops at once after', async () => {
      const dan = fake.addUser(`dan-${server.engine}@example.com`, 'dan-password');
      const eve = fake.addUser(`eve-${server.engine}@example.com`, 'eve-password');
      await admin.tenants.create({ slug: 'epsilon' });
      const token = await signIn(dan);
      expect((await get('/v1/agents', token)).status).toBe(403);

      expect(await admin.tenants.link('epsilon', { userId: dan.id })).toEqual({ userId: dan.id, email: null, role: 'owner' });
      expect(await admin.tenants.link('epsilon', { email: eve.email.toUpperCase() })).toEqual({ userId: null, email: eve.email, role: 'owner' });
      // The 403 above is not remembered: the link works at the next request.
      expect((await say(server.client(token), '7201', 'hello epsilon')).reply?.text).toBe('echo: hello epsilon');
      expect((await say(server.client(await signIn(eve)), '7202', 'hi')).reply?.text).toBe('echo: hi');
      expect((await admin.tenants.members('epsilon')).map((m) => [m.userId, m.email])).toEqual([[dan.id, null], [eve.id, eve.email]]);

      expect(await admin.tenants.unlink('epsilon', dan.id)).toMatchObject({ userId: dan.id });
      expect((await get('/v1/agents', token)).status).toBe(403);
      expect(await admin.tenants.unlink('epsilon', eve.email)).toMatchObject({ userId: eve.id, email: eve.email });
      expect(await admin.tenants.members('epsilon')).toEqual([]);
      // A contact stays the tenant's: unlinking removes a way in, not data.
      expect(await server.admin('select 1 from contacts c join tenants t on t.id = c.tenant_id where t.slug = $1', ['epsilon'])).toHaveLength(2);
    });

    it('answers 400 to a member named badly or twice, 404 to an unknown tenant or member, 409 to a user who owns another tenant, 403 to an owner', async () => {
      const send = (method: string, path: string, body?: unknown, token = server.adminToken) => server.fetch(path, {
        method, token, headers: body === undefined ? {} : { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }).then((r) => r.status);
      expect(await send('POST', '/v1/tenants/beta/members', {})).toBe(400);
      expect(await send('POST', '/v1/tenants/beta/members', { email: 'x@example.com', userId: randomUUID() })).toBe(400);
      expect(await send('POST', '/v1/tenants/beta/members', { email: 'not an address' })).toBe(400);
      expect(await send('POST', '/v1/tenants/beta/members', { userId: randomUUID(), role: 'admin' })).toBe(400);
      expect(await send('POST', '/v1/tenants/nosuch/members', { userId: randomUUID() })).toBe(404);
      expect(await send('POST', '/v1/tenants/beta/members', { userId: ana.id })).toBe(409);
      expect(await send('DELETE', `/v1/tenants/beta/members/${randomUUID()}`)).toBe(404);
      expect(await send('DELETE', '/v1/tenants/beta/members/not-a-member')).toBe(400);
      expect(await send('GET', '/v1/tenants/nosuch/members')).toBe(404);
      expect(await send('GET', '/v1/tenants/beta/members', undefined, server.ownerToken)).toBe(403);
      expect(await send('POST', '/v1/tenants/beta/members', { userId: randomUUID() }, server.ownerToken)).toBe(403);
      expect((await admin.tenants.members('beta')).map((m) => m.email)).toEqual([`bea-${server.engine}@example.com`]);
    });

    it('erasing a tenant removes its members, and their tokens stop working at once', async () => {
      const token = await signIn(ana);
      expect((await get('/v1/agents', token)).status).toBe(200);
      const erased = await admin.tenants.remove('alpha');
      expect(erased.deleted.tenant_members).toBe(1);
      expect(await server.admin('select 1 from tenant_members where tenant_id = $1', [alpha.id])).toEqual([]);
      expect((await get('/v1/agents', token)).status).toBe(403);
    });
  }, env);
});

describeEachServer('Supabase access tokens without SUPABASE_URL (real server)', (server) => {
  it('treats a JWT as an unknown token: 401', async () => {
    const fake = await startFakeSupabaseAuth();
    try {
      const token = await fake.sign(fake.addUser('eve@example.com', 'eve-password'));
      expect((await server.fetch('/v1/agents', { token })).status).toBe(401);
      expect(fake.requests.jwks).toBe(0);
    } finally {
      await fake.close();
    }
  });
});

describeEachServer('Supabase access tokens while the Auth server is unreachable (real server)', (server) => {
  it('answers 502 naming the key set it could not read, and the installation\'s own tokens still work', async () => {
    const fake = await startFakeSupabaseAuth();
    const token = await fake.sign(fake.addUser('ida@example.com', 'ida-password'));
    await fake.close();
    const response = await server.fetch('/v1/agents', { token });
    expect(await refusal(response)).toEqual([502, 'Could not read the Supabase Auth keys at http://127.0.0.1:9/auth/v1/.well-known/jwks.json']);
    expect((await server.fetch('/v1/agents')).status).toBe(200);
  });
}, { SUPABASE_URL: 'http://127.0.0.1:9', SUPABASE_ANON_KEY: 'fake-anon-key' });
