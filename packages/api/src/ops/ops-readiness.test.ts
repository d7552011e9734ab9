import { createPgDb } from '../db/pg-db';
import { createPgliteDb } from '../db/pglite-db';
import { MIGRATIONS_DIR, readMigrations } from '../db/migrate';
import { describeEachEngine } from '../../../../test/engines';
import { describeEachServer } from '../../../../test/server-harness';
import { createApp } from '../http/create-app';
import { createReadiness } from './ops-readiness';
import type { Db } from '../db/db';

const shipped = async () => (await readMigrations(MIGRATIONS_DIR)).map((file) => file.name);

/** `GET /readyz` of a real app over `db`: status and body. */
async function readyz(db: Db, names: string[]): Promise<{ status: number; body: unknown }> {
  const app = createApp({ services: {} as never, authenticate: async () => undefined, checkReady: createReadiness(db, names, 2000) });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const { port } = server.address() as { port: number };
    const response = await fetch(`http://127.0.0.1:${port}/readyz`);
    return { status: response.status, body: await response.json() };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describeEachServer('GET /readyz', (server) => {
  it('answers 200 {ok: true} on a migrated database, without a token', async () => {
    const response = await server.fetch('/readyz', { token: null });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });
});

describeEachEngine('readiness', (env) => {
  it('answers 503 naming a migration this build ships that the database has not applied', async () => {
    const names = await shipped();
    expect(await readyz(env.db, names)).toEqual({ status: 200, body: { ok: true } });
    expect(await readyz(env.db, [...names, '29991231000000_not_yet.sql'])).toEqual({
      status: 503, body: { error: { code: 'unavailable', message: 'Migrations not applied: 29991231000000_not_yet.sql' } },
    });
  });

  it('answers 503 when a migration row is missing from sb_migrations', async () => {
    const names = await shipped();
    const last = names[names.length - 1] ?? '';
    const [row] = await env.admin<{ name: string; checksum: string }>('delete from sb_migrations where name = $1 returning name, checksum', [last]);
    try {
      expect(await readyz(env.db, names)).toEqual({ status: 503, body: { error: { code: 'unavailable', message: `Migrations not applied: ${last}` } } });
    } finally {
      await env.admin('insert into sb_migrations (name, checksum) values ($1, $2)', [row?.name, row?.checksum]);
    }
  });

  it('answers 503 when the database does not answer, without its error text', async () => {
    const names = await shipped();
    const unreachable = env.engine === 'postgres'
      ? createPgDb({ connectionString: 'postgres://nobody:secret@127.0.0.1:1/none' })
      : await createPgliteDb({ kind: 'memory' });
    if (env.engine === 'pglite') await unreachable.close();
    try {
      expect(await readyz(unreachable, names)).toEqual({ status: 503, body: { error: { code: 'unavailable', message: 'The database does not answer' } } });
    } finally {
      if (env.engine === 'postgres') await unreachable.close();
    }
  });
});
