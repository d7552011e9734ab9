/**
 * Starts the real server (HTTP on a random port, worker, tokens) once per suite on each engine:
 * `describeEachServer('x', server => ...)` registers `x [pglite]` and `x [postgres]`. The database
 * is a fresh copy (test/engines.ts); SB_HOME is a temporary directory with the generated tokens.
 * `describeEachServerWithSupabase` adds `x [supabase]`: a copy of the Supabase-shaped template that
 * the server opens itself from the project owner's DATABASE_URL, requests logging in as its login role.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiClient, type ApiClient, type TenantId } from '@switchboard/shared';
import { createPgDb, createSilentLog, findTenantId, parseConfig, readTokenFile, startServer, tokenFilePath, type Db, type Engine, type Log, type RunningServer } from '@switchboard/api';
import { availableEngines, openTestDatabase } from './engines';
import { TEMPLATE_DATABASE } from './postgres-cluster';
import { createSupabaseDatabase } from './supabase-cluster';

/** The engines a server suite can run on: `supabase` is PostgreSQL shaped like a Supabase project. */
export type ServerEngine = Engine | 'supabase';

export class TestServer {
  private state?: { running: RunningServer; db: Db; home: string; tenantId: TenantId; drop: () => Promise<void> };

  constructor(readonly engine: ServerEngine, private readonly env: Record<string, string>, private readonly log: Log = createSilentLog()) {}

  get url(): string { return this.current.running.url; }
  get home(): string { return this.current.home; }
  get db(): Db { return this.current.db; }
  get tenantId(): TenantId { return this.current.tenantId; }
  get ownerToken(): string { return readTokenFile(tokenFilePath(this.home, 'owner')); }
  get gatewayToken(): string { return readTokenFile(tokenFilePath(this.home, 'gateway')); }
  get adminToken(): string { return readTokenFile(tokenFilePath(this.home, 'admin')); }

  /** A typed client with the owner token (or another token). */
  client(token = this.ownerToken): ApiClient {
    return createApiClient({ baseUrl: this.url, token });
  }

  /** Raw HTTP with the owner token unless `token` says otherwise; for malformed requests. */
  fetch(path: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> {
    const { token = this.ownerToken, headers, ...rest } = init;
    return fetch(`${this.url}${path}`, {
      ...rest,
      headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(headers as Record<string, string> | undefined) },
    });
  }

  /** SQL as the schema owner, outside row-level security (assertions over whole tables). */
  async admin<R = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    const { rows } = await this.db.adminTransaction((tx) => tx.query<R>(sql, params));
    return rows;
  }

  async start(): Promise<void> {
    const home = mkdtempSync(join(tmpdir(), 'sb-test-home-'));
    if (this.engine === 'supabase') return this.startOnSupabase(home);
    const { db, drop } = await openTestDatabase(this.engine);
    const tenantId = await findTenantId(db, 'default');
    if (!tenantId) throw new Error('the migrated test database has no default tenant');
    const config = parseConfig({ SB_HOME: home, SB_PORT: '0', ...this.env });
    const running = await startServer(config, { db, log: this.log, env: { ...process.env, ...this.env } });
    this.state = { running, db, home, tenantId, drop };
  }

  /** The server opens the database itself; `db` is the owner's own connection, for the suite's set-up and checks. */
  private async startOnSupabase(home: string): Promise<void> {
    const database = await createSupabaseDatabase(requiredSupabaseUrl(), TEMPLATE_DATABASE);
    const env = { ...this.env, DATABASE_URL: database.ownerUrl };
    const running = await startServer(parseConfig({ SB_HOME: home, SB_PORT: '0', ...env }), { log: this.log, env: { ...process.env, ...env } });
    const db = createPgDb({ connectionString: database.ownerUrl, maxConnections: 4 });
    const tenantId = await findTenantId(db, 'default');
    if (!tenantId) throw new Error('the migrated Supabase-shaped database has no default tenant');
    const drop = async () => {
      await db.close();
      await database.drop();
    };
    this.state = { running, db, home, tenantId, drop };
  }

  async stop(): Promise<void> {
    const state = this.state;
    this.state = undefined;
    if (!state) return;
    await state.running.close();
    await state.drop();
    rmSync(state.home, { recursive: true, force: true });
  }

  private get current() {
    if (!this.state) throw new Error('TestServer used outside its describe block');
    return this.state;
  }
}

/** `log`: where the servers log (a captured log, for tests that read it); by default nowhere. */
export function describeEachServer(title: string, body: (server: TestServer) => void, env: Record<string, string> = {}, log?: Log): void {
  describeOnServers(availableEngines(), title, body, env, log);
}

/** Like describeEachServer, and on the Supabase-shaped cluster too when the harness started one. */
export function describeEachServerWithSupabase(title: string, body: (server: TestServer) => void, env: Record<string, string> = {}, log?: Log): void {
  const engines: ServerEngine[] = availableEngines();
  describeOnServers(process.env.SB_TEST_SUPABASE_URL ? [...engines, 'supabase'] : engines, title, body, env, log);
}

function describeOnServers(engines: ServerEngine[], title: string, body: (server: TestServer) => void, env: Record<string, string>, log?: Log): void {
  for (const engine of engines) {
    describe(`${title} [${engine}]`, () => {
      const server = new TestServer(engine, env, log);
      beforeAll(() => server.start(), 120_000);
      afterAll(() => server.stop(), 60_000);
      body(server);
    });
  }
}

function requiredSupabaseUrl(): string {
  const url = process.env.SB_TEST_SUPABASE_URL;
  if (!url) throw new Error('SB_TEST_SUPABASE_URL is not set: the harness starts the Supabase-shaped cluster with its own PostgreSQL cluster');
  return url;
}
