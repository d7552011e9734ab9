/**
 * `supabase db push` and the server's own migrations on one Supabase-shaped database. The Supabase
 * CLI cannot run here (it downloads its binary), so the test does what the CLI documents it does:
 * as the project's `postgres` role, each pending file runs in its own transaction and is recorded
 * in `supabase_migrations.schema_migrations (version, statements, name)`. The server must then
 * run only what the CLI did not, and record what it ran there, so a later push finds nothing to do.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiClient } from '@switchboard/shared';
import { createSilentLog, parseConfig, startServer, type RunningServer } from '@switchboard/api';
import { createSupabaseDatabase, withClient } from '../../../../test/supabase-cluster';
import { MIGRATIONS_DIR, readMigrations, type MigrationFile } from './migrate';

const supabaseUrl = process.env.SB_TEST_SUPABASE_URL;

/** What `supabase db push` does with the files it finds pending (a stand-in for the CLI, not the CLI). */
async function pushLikeTheSupabaseCli(ownerUrl: string, files: MigrationFile[]): Promise<string[]> {
  return withClient(ownerUrl, async (client) => {
    await client.query(`create schema if not exists supabase_migrations;
      create table if not exists supabase_migrations.schema_migrations (version text not null primary key, statements text[], name text)`);
    const { rows } = await client.query<{ version: string }>('select version from supabase_migrations.schema_migrations');
    const done = new Set(rows.map((row) => row.version));
    const pushed: string[] = [];
    for (const file of files) {
      const version = file.name.slice(0, 14);
      if (done.has(version)) continue;
      await client.query('begin');
      await client.query(file.sql);
      await client.query('insert into supabase_migrations.schema_migrations (version, statements, name) values ($1, array[$2], $3)',
        [version, file.sql, file.name.slice(15, -4)]);
      await client.query('commit');
      pushed.push(file.name);
    }
    return pushed;
  });
}

if (supabaseUrl) describe('supabase db push and the server migrating one Supabase-shaped database [supabase]', () => {
  let database: Awaited<ReturnType<typeof createSupabaseDatabase>>;
  let files: MigrationFile[];
  let home = '';
  let server: RunningServer | undefined;

  beforeAll(async () => {
    database = await createSupabaseDatabase(supabaseUrl);
    files = await readMigrations(MIGRATIONS_DIR);
    home = mkdtempSync(join(tmpdir(), 'sb-supabase-push-'));
  });

  afterAll(async () => {
    await server?.close();
    await database?.drop();
    if (home) rmSync(home, { recursive: true, force: true });
  }, 60_000);

  it('runs only what the CLI did not push, records it for the CLI, and a later push finds nothing to do', async () => {
    const early = files.slice(0, files.length - 3);
    expect(await pushLikeTheSupabaseCli(database.ownerUrl, early)).toEqual(early.map((file) => file.name));

    const ownerToken = randomBytes(24).toString('hex');
    const config = parseConfig({ SB_HOME: home, SB_PORT: '0', SB_OWNER_TOKEN: ownerToken, DATABASE_URL: database.ownerUrl });
    server = await startServer(config, { log: createSilentLog(), env: {} });
    const reply = await createApiClient({ baseUrl: server.url, token: ownerToken })
      .inbound({ channel: 'telegram', sender: { id: 'push-1' }, messageId: randomUUID(), text: 'hello' }, { wait: true });
    expect(reply).toMatchObject({ status: 'done', reply: { text: 'echo: hello' } });

    const recorded = await withClient(database.ownerUrl, async (client) => ({
      ours: (await client.query<{ name: string }>('select name from sb_migrations order by name')).rows.map((row) => row.name),
      theirs: (await client.query<{ version: string; name: string }>('select version, name from supabase_migrations.schema_migrations order by version')).rows,
    }));
    expect(recorded.ours).toEqual(files.map((file) => file.name));
    expect(recorded.theirs).toEqual(files.map((file) => ({ version: file.name.slice(0, 14), name: file.name.slice(15, -4) })));
    expect(await pushLikeTheSupabaseCli(database.ownerUrl, files)).toEqual([]);
  }, 120_000);

  it('starts again on the same database without running or recording anything twice', async () => {
    await server?.close();
    const config = parseConfig({ SB_HOME: home, SB_PORT: '0', DATABASE_URL: database.ownerUrl });
    server = await startServer(config, { log: createSilentLog(), env: {} });
    const counts = await withClient(database.ownerUrl, async (client) => (await client.query<{ ours: number; theirs: number }>(
      `select (select count(*)::int from sb_migrations) as ours, (select count(*)::int from supabase_migrations.schema_migrations) as theirs`)).rows[0]);
    expect(counts).toEqual({ ours: files.length, theirs: files.length });
  }, 120_000);
});
