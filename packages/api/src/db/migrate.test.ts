import { describeEachEngine, availableEngines, createEmptyPostgresDatabase, openTestDatabase } from '../../../../test/engines';
import { createPgDb } from './pg-db';
import { migrate, MIGRATIONS_DIR, readMigrations } from './migrate';

describeEachEngine('migrate', (env) => {
  it('applies nothing the second time and leaves the schema as it was', async () => {
    const before = await env.admin<{ n: number }>(`select count(*)::int as n from pg_tables where schemaname = 'public'`);
    expect(await migrate(env.db, MIGRATIONS_DIR)).toEqual([]);
    const after = await env.admin<{ n: number }>(`select count(*)::int as n from pg_tables where schemaname = 'public'`);
    expect(after).toEqual(before);
    const files = await readMigrations(MIGRATIONS_DIR);
    const applied = await env.admin<{ name: string }>('select name from sb_migrations order by name');
    expect(applied.map((row) => row.name)).toEqual(files.map((file) => file.name));
  });

  it('accepts a corrected file that a database applied in its earlier text, and refuses any other change', async () => {
    const name = '20261208040000_operations.sql';
    const [current] = await env.admin<{ checksum: string }>('select checksum from sb_migrations where name = $1', [name]);
    try {
      await env.admin('update sb_migrations set checksum = $2 where name = $1', [name, '7e5f4ed30ad73256a4198cbc0fb78cbfe445c4694d782c42120e2ef2b036a457']);
      expect(await migrate(env.db, MIGRATIONS_DIR)).toEqual([]);
      await env.admin('update sb_migrations set checksum = $2 where name = $1', [name, 'f'.repeat(64)]);
      await expect(migrate(env.db, MIGRATIONS_DIR)).rejects.toThrow(`Migration ${name} was changed after it was applied`);
    } finally {
      await env.admin('update sb_migrations set checksum = $2 where name = $1', [name, current!.checksum]);
    }
  });

  it('seeds tenant default with agent default on the echo provider', async () => {
    const rows = await env.admin(
      `select t.slug, a.name, a.provider from agents a join tenants t on t.id = a.tenant_id`,
    );
    expect(rows).toEqual([{ slug: 'default', name: 'default', provider: 'echo' }]);
  });

  it('works as a role that is neither superuser nor BYPASSRLS', async () => {
    const rows = await env.db.transaction(env.owner, (tx) =>
      tx.query<{ user: string; super: boolean; bypass: boolean }>(
        'select current_user as user, rolsuper as super, rolbypassrls as bypass from pg_roles where rolname = current_user',
      ),
    );
    expect(rows.rows).toEqual([{ user: 'sb_app', super: false, bypass: false }]);
  });

  it('forces row-level security on every table of the schema', async () => {
    const rows = await env.admin<{ relname: string; rls: boolean; forced: boolean }>(
      `select c.relname, c.relrowsecurity as rls, c.relforcerowsecurity as forced from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind = 'r' and c.relname <> 'sb_migrations' order by 1`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(10);
    for (const row of rows) expect(row).toEqual({ relname: row.relname, rls: true, forced: true });
  });
});

describe('migrate on a fresh database', () => {
  it.each(availableEngines())('builds the whole schema from nothing [%s]', async (engine) => {
    const { db, drop } = await openTestDatabase(engine, { empty: true });
    try {
      const files = await readMigrations(MIGRATIONS_DIR);
      expect(await migrate(db, MIGRATIONS_DIR)).toEqual(files.map((file) => file.name));
      expect(await migrate(db, MIGRATIONS_DIR)).toEqual([]);
    } finally {
      await db.close();
      await drop();
    }
  }, 120_000);
});

if (availableEngines().includes('postgres')) {
  describe('migrate with concurrent starts [postgres]', () => {
    it('applies each migration once when several processes start together', async () => {
      const { url, drop } = await createEmptyPostgresDatabase();
      const dbs = Array.from({ length: 4 }, () => createPgDb({ connectionString: url }));
      try {
        const results = await Promise.all(dbs.map((db) => migrate(db, MIGRATIONS_DIR)));
        const files = await readMigrations(MIGRATIONS_DIR);
        expect(results.flat().sort()).toEqual(files.map((file) => file.name).sort());
        const counts = await dbs[0]!.adminTransaction((tx) =>
          tx.query<{ n: number }>('select count(*)::int as n from sb_migrations'),
        );
        expect(counts.rows[0]!.n).toBe(files.length);
      } finally {
        await Promise.all(dbs.map((db) => db.close()));
        await drop();
      }
    });
  });
}
