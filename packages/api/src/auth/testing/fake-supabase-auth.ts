/**
 * A fake Supabase Auth server for tests: the documented endpoints supabase-js and our verifier use,
 * on a local port. `GET /auth/v1/.well-known/jwks.json` publishes one ES256 key;
 * `POST /auth/v1/token?grant_type=password` signs in a user added here and answers a session whose
 * access token has Supabase's claims; `GET /auth/v1/user` answers the token's user. `sign` makes
 * tokens by hand: expired, foreign, signed with an unpublished key or the legacy HS256 secret.
 * Like Supabase, it answers browsers from any origin (CORS preflight and headers), so the console's
 * browser tests can sign in through it.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CryptoKey, JWK, JWTPayload } from 'jose' with { 'resolution-mode': 'import' };

export interface FakeUser {
  id: string;
  email: string;
  password: string;
  /** When the address was confirmed; null for a project that lets unconfirmed users sign in. */
  emailConfirmedAt: string | null;
}

export interface SignOptions {
  /** `project`: the published key; `unpublished`: a key the JWKS lacks; `legacy`: the HS256 secret. */
  key?: 'project' | 'unpublished' | 'legacy';
  /** Claims that replace or add to the user's usual ones. */
  claims?: JWTPayload & Record<string, unknown>;
}

export type FakeSupabaseAuth = Awaited<ReturnType<typeof startFakeSupabaseAuth>>;

export const FAKE_ANON_KEY = 'fake-anon-key';
export const FAKE_JWT_SECRET = 'fake-legacy-jwt-secret-of-at-least-32-chars';

export async function startFakeSupabaseAuth() {
  const jose = await import('jose');
  const project = await jose.generateKeyPair('ES256');
  const unpublished = await jose.generateKeyPair('ES256');
  const publicJwk: JWK = { ...(await jose.exportJWK(project.publicKey)), kid: 'fake-project-key', alg: 'ES256', use: 'sig' };
  const users = new Map<string, FakeUser>();
  const requests = { jwks: 0, user: 0 };
  const server = createServer((req, res) => void answer(req, res).catch((error: unknown) => send(res, 500, { msg: String(error) })));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${url}/auth/v1`;

  const claimsOf = (user: FakeUser): JWTPayload & Record<string, unknown> => ({
    iss: issuer, sub: user.id, aud: 'authenticated', email: user.email, phone: '', role: 'authenticated', aal: 'aal1',
    app_metadata: { provider: 'email', providers: ['email'] }, user_metadata: { email: user.email, email_verified: true, sub: user.id },
    amr: [{ method: 'password', timestamp: Math.floor(Date.now() / 1000) }], session_id: randomUUID(), is_anonymous: false,
  });

  const sign = async (user: FakeUser, options: SignOptions = {}): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    const payload = { iat: now, exp: now + 3600, ...claimsOf(user), ...options.claims };
    const key = options.key ?? 'project';
    if (key === 'legacy') return new jose.SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(FAKE_JWT_SECRET));
    const kid = key === 'project' ? 'fake-project-key' : 'fake-unpublished-key';
    const privateKey: CryptoKey = key === 'project' ? project.privateKey : unpublished.privateKey;
    return new jose.SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid }).sign(privateKey);
  };

  const userJson = (user: FakeUser) => ({
    id: user.id, aud: 'authenticated', role: 'authenticated', email: user.email, email_confirmed_at: user.emailConfirmedAt,
    phone: '', app_metadata: { provider: 'email', providers: ['email'] }, user_metadata: {}, identities: [],
    created_at: '2026-12-01T00:00:00Z', updated_at: '2026-12-01T00:00:00Z', is_anonymous: false,
  });

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', url);
    if (req.method === 'OPTIONS') return void res.writeHead(204, CORS_HEADERS).end();
    if (req.method === 'GET' && path.pathname === '/auth/v1/.well-known/jwks.json') {
      requests.jwks += 1;
      return send(res, 200, { keys: [publicJwk] });
    }
    if (req.headers.apikey !== FAKE_ANON_KEY) return send(res, 401, { message: 'Invalid API key' });
    if (req.method === 'POST' && path.pathname === '/auth/v1/token' && path.searchParams.get('grant_type') === 'password') {
      const body = JSON.parse(await readBody(req)) as { email?: string; password?: string };
      const user = [...users.values()].find((u) => u.email === body.email && u.password === body.password);
      if (!user) return send(res, 400, { code: 400, error_code: 'invalid_credentials', msg: 'Invalid login credentials' });
      const accessToken = await sign(user);
      return send(res, 200, {
        access_token: accessToken, token_type: 'bearer', expires_in: 3600, expires_at: Math.floor(Date.now() / 1000) + 3600,
        refresh_token: randomUUID(), user: userJson(user),
      });
    }
    if (req.method === 'GET' && path.pathname === '/auth/v1/user') {
      requests.user += 1;
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const verified = await jose.jwtVerify(token, project.publicKey, { issuer, audience: 'authenticated' }).catch(() => undefined);
      const user = verified && users.get(String(verified.payload.sub));
      if (!user) return send(res, 403, { code: 403, error_code: 'bad_jwt', msg: 'invalid JWT' });
      return send(res, 200, userJson(user));
    }
    send(res, 404, { code: 404, error_code: 'not_found', msg: `no route ${req.method} ${path.pathname}` });
  }

  return {
    url,
    issuer,
    anonKey: FAKE_ANON_KEY,
    jwtSecret: FAKE_JWT_SECRET,
    /** How often each endpoint was asked (the key set should be asked once, the user endpoint rarely). */
    requests,
    addUser(email: string, password: string, confirmed = true): FakeUser {
      const user = { id: randomUUID(), email, password, emailConfirmedAt: confirmed ? '2026-12-01T00:00:00Z' : null };
      users.set(user.id, user);
      return user;
    },
    sign,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'access-control-allow-headers': 'authorization, apikey, content-type, x-client-info, x-supabase-api-version',
  'access-control-expose-headers': 'x-supabase-api-version',
  'access-control-max-age': '600',
};

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-supabase-api-version': '2024-01-01', ...CORS_HEADERS }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
