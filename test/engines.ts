/**
 * Runs one test suite on every engine: `describeEachEngine('x', env => ...)` registers
 * `x [pglite]` and `x [postgres]`. Each suite gets its own database (a loaded PGlite snapshot,
 * or a copy of the migrated PostgreSQL template), the wired services and the default tenant.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { TenantId } from '@switchboard/shared';
import {
  createPgDb, createPgliteDb, createServices, findTenantId, ownerScope,
  type Db, type Engine, type Scope, type Services,
} from '@switchboard/api';
import { TEMPLATE_DATABASE, databaseUrl } from './postgres-cluster';

export function availableEngines(): Engine[] {
  return process.env.SB_TEST_PG_URL ? ['pglite', 'postgres'] : ['pglite'];
}

export class TestEnv {
  private opened?: { db: Db; services: Services; tenantId: TenantId; drop: () => Promise<void> };

  constructor(readonly engine: Engine) {}

  get db(): Db { return this.state.db; }
  get services(): Services { return this.state.services; }
  get tenantId(): TenantId { return this.state.tenantId; }
  get owner(): Scope { return ownerScope(this.tenantId); }

  /** Runs SQL as the schema owner, outside row-level security (set-up and whole-database checks). */
  async admin<R = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    const { rows } = await this.db.adminTransaction((tx) => tx.query<R>(sql, params));
    return rows;
  }

  async open(): Promise<void> {
    const { db, drop } = await openTestDatabase(this.engine);
    const tenantId = await findTenantId(db, 'default');
    if (!tenantId) throw new Error('the migrated test database has no default tenant');
    this.opened = { db, services: createServices(db), tenantId, drop };
  }

  async close(): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    if (!opened) return;
    await opened.db.close();
    await opened.drop();
  }

  private get state() {
    if (!this.opened) throw new Error('TestEnv used outside its describe block');
    return this.opened;
  }
}

export function describeEachEngine(title: string, body: (env: TestEnv) => void): void {
  for (const engine of availableEngines()) {
    describe(`${title} [${engine}]`, () => {
      const env = new TestEnv(engine);
      beforeAll(() => env.open(), 120_000);
      afterAll(() => env.close(), 60_000);
      body(env);
    });
  }
}

export async function openTestDatabase(engine: Engine, options: { empty?: boolean } = {}): Promise<{ db: Db; drop: () => Promise<void> }> {
  if (engine === 'pglite') {
    if (options.empty) return { db: await createPgliteDb({ kind: 'memory' }), drop: async () => undefined };
    const snapshot = readFileSync(requiredEnv('SB_TEST_PGLITE_SNAPSHOT'));
    return { db: await createPgliteDb({ kind: 'snapshot', data: new Blob([snapshot]) }), drop: async () => undefined };
  }
  const serverUrl = requiredEnv('SB_TEST_PG_URL');
  const name = `sb_test_${randomUUID().replaceAll('-', '')}`;
  await withServer(serverUrl, (client) =>
    client.query(options.empty ? `create database ${name}` : `create database ${name} template ${TEMPLATE_DATABASE}`),
  );
  const db = createPgDb({ connectionString: databaseUrl(serverUrl, name), maxConnections: 20 });
  const drop = () => withServer(serverUrl, (client) => client.query(`drop database if exists ${name} with (force)`)).then(() => undefined);
  return { db, drop };
}

/** A connection string (the schema owner's) for a fresh copy of the migrated template database. */
export async function createMigratedPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const serverUrl = requiredEnv('SB_TEST_PG_URL');
  const name = `sb_test_${randomUUID().replaceAll('-', '')}`;
  await withServer(serverUrl, (client) => client.query(`create database ${name} template ${TEMPLATE_DATABASE}`));
  const drop = () => withServer(serverUrl, (client) => client.query(`drop database if exists ${name} with (force)`)).then(() => undefined);
  return { url: databaseUrl(serverUrl, name), drop };
}

/** A connection string for a fresh database on the test PostgreSQL server (for a second pool). */
export async function createEmptyPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const serverUrl = requiredEnv('SB_TEST_PG_URL');
  const name = `sb_test_${randomUUID().replaceAll('-', '')}`;
  await withServer(serverUrl, (client) => client.query(`create database ${name}`));
  const drop = () => withServer(serverUrl, (client) => client.query(`drop database if exists ${name} with (force)`)).then(() => undefined);
  return { url: databaseUrl(serverUrl, name), drop };
}

async function withServer<T>(serverUrl: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through jest (test/global-setup.ts)`);
  return value;
}
