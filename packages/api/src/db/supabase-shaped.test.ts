/**
 * Switchboard on a Supabase-shaped PostgreSQL (test/supabase-cluster.ts): given the project's
 * non-superuser `postgres` as DATABASE_URL, the real server migrates an empty database, logs requests
 * in as its generated login role, answers through the echo agent, recalls and searches memories by a
 * misspelled word (with pg_trgm, unused now, in `extensions`), keeps contacts apart, and leaves Supabase's API
 * roles (anon, authenticated) no privilege on its tables.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiClient, type ApiClient, type InboundMessage } from '@switchboard/shared';
import { createSilentLog, parseConfig, startServer, type RunningServer } from '@switchboard/api';
import { databaseUrl } from '../../../../test/postgres-cluster';
import { SUPABASE_OWNER, createSupabaseDatabase, withClient } from '../../../../test/supabase-cluster';
import { loginRoleName } from './pg-login-role';

const supabaseUrl = process.env.SB_TEST_SUPABASE_URL;

if (supabaseUrl) describe('the real server on a Supabase-shaped database [supabase]', () => {
  const ownerToken = randomBytes(24).toString('hex');
  let database: Awaited<ReturnType<typeof createSupabaseDatabase>>;
  let home = '';
  let server: RunningServer;
  let client: ApiClient;

  const asOwner = <R>(sql: string, params: unknown[] = []) =>
    withClient(database.ownerUrl, async (c) => (await c.query(sql, params)).rows as R[]);
  const message = (sender: string, text: string): InboundMessage =>
    ({ channel: 'telegram', sender: { id: sender }, messageId: randomUUID(), text });

  beforeAll(async () => {
    database = await createSupabaseDatabase(supabaseUrl);
    home = mkdtempSync(join(tmpdir(), 'sb-supabase-'));
    const config = parseConfig({ SB_HOME: home, SB_PORT: '0', SB_OWNER_TOKEN: ownerToken, DATABASE_URL: database.ownerUrl });
    server = await startServer(config, { log: createSilentLog(), env: {} });
    client = createApiClient({ baseUrl: server.url, token: ownerToken });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await database?.drop();
    if (home) rmSync(home, { recursive: true, force: true });
  }, 60_000);

  it('migrates as a schema owner that is neither superuser nor able to see extensions by default', async () => {
    const [owner] = await asOwner<{ super: boolean; trgm: string }>(
      `select rolsuper as super, (select extnamespace::regnamespace::text from pg_extension where extname = 'pg_trgm') as trgm
       from pg_roles where rolname = current_user`);
    expect(owner).toEqual({ super: false, trgm: 'extensions' });
    const applied = await asOwner<{ name: string }>("select name from sb_migrations where name like '%supabase_compat%'");
    expect(applied).toHaveLength(1);
  });

  it('answers an inbound message with the echo agent', async () => {
    const reply = await client.inbound(message('supa-echo', 'hello'), { wait: true });
    expect(reply).toMatchObject({ status: 'done', reply: { text: 'echo: hello' } });
  });

  it("recalls a contact's memory by a word that only resembles it, and never another contact's", async () => {
    const stored = await client.inbound(message('supa-a', 'remember the parcel goes to Lisbon'), { wait: true });
    expect(stored).toMatchObject({ reply: { text: 'remembered: the parcel goes to Lisbon' } });
    // "Lisbo" is no word of the memory: only the near-miss match (a word with one letter more) finds it.
    const recalled = await client.inbound(message('supa-a', 'recall Lisbo'), { wait: true });
    expect(recalled).toMatchObject({ reply: { text: 'the parcel goes to Lisbon' } });
    const stranger = await client.inbound(message('supa-b', 'recall Lisbo'), { wait: true });
    expect(stranger).toMatchObject({ reply: { text: 'no memories' } });
  });

  it("searches the tenant's memories by a misspelled word", async () => {
    await client.memories.add({ content: 'the espresso machine needs descaling' });
    const found = await client.memories.list({ q: 'espreso' });
    expect(found.map((memory) => memory.content)).toEqual(['the espresso machine needs descaling']);
  });

  it('logs requests in as the generated login role, never as the schema owner', async () => {
    await client.inbound(message('supa-echo', 'are you there'), { wait: true });
    const users = await asOwner<{ user: string }>(
      'select distinct usename as user from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [database.name]);
    expect(users.map((row) => row.user)).toEqual([loginRoleName(database.name)]);
    expect(users.map((row) => row.user)).not.toContain(SUPABASE_OWNER);
  });

  it.each(['anon', 'authenticated'])('gives %s no privilege on any Switchboard table or sequence', async (role) => {
    const granted = await asOwner<{ name: string }>(
      `select c.relname as name from pg_class c
       where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'S')
         and (has_table_privilege($1, c.oid, 'SELECT') or has_table_privilege($1, c.oid, 'INSERT')
           or has_table_privilege($1, c.oid, 'UPDATE') or has_table_privilege($1, c.oid, 'DELETE')
           or (c.relkind = 'S' and has_sequence_privilege($1, c.oid, 'USAGE')))`, [role]);
    expect(granted).toEqual([]);
    // As PostgREST asks: supabase_admin's connection switched to the API role.
    const asApiRole = withClient(databaseUrl(supabaseUrl, database.name), (c) => c.query(`set role ${role}; select count(*) from memories`));
    await expect(asApiRole).rejects.toThrow(/permission denied for table memories/);
  });

  it('would have given anon every new public table by default, so the revocation is what closes them', async () => {
    await asOwner('create table supabase_default_probe (id int)');
    const [probe] = await asOwner<{ granted: boolean }>("select has_table_privilege('anon', 'supabase_default_probe', 'SELECT') as granted");
    expect(probe).toEqual({ granted: true });
  });
});
