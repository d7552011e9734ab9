/**
 * PGlite runs in single-user mode, without autovacuum: the server vacuums the tables its turns
 * churn. Here, on PGlite itself, `vacuum` frees the space of the row versions that finished turns
 * leave in the turn queue, and refuses anything but plain table names. On PostgreSQL it does nothing
 * (autovacuum's work), which needs no test beyond the type.
 */
import { randomUUID } from 'node:crypto';
import { openTestDatabase } from '../../../../test/engines';
import type { Db } from './db';
import { findTenantId } from '../tenant-lookup';

describe('vacuuming PGlite', () => {
  let db: Db;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ db, drop } = await openTestDatabase('pglite'));
  }, 60_000);

  afterAll(async () => {
    await db.close();
    await drop();
  });

  /** Pages of the queue table: deleted rows keep theirs until a vacuum frees them (and cuts off empty ones at the end). */
  async function pages(): Promise<number> {
    const { rows } = await db.adminTransaction((tx) =>
      tx.query<{ pages: number }>(`select (pg_relation_size('turn_queue') / current_setting('block_size')::int)::int as pages`));
    return rows[0]?.pages ?? -1;
  }

  it('removes the dead row versions of deleted queue rows', async () => {
    const tenantId = await findTenantId(db, 'default');
    await db.adminTransaction((tx) => tx.query(
      `insert into turn_queue (tenant_id, event_id, lane) select $1, gen_random_uuid(), 'lane-' || g from generate_series(1, 500) g`, [tenantId],
    ));
    await db.adminTransaction((tx) => tx.query('delete from turn_queue'));
    expect(await pages()).toBeGreaterThan(0);
    await db.vacuum(['turn_queue']);
    expect(await pages()).toBe(0);
  });

  it('refuses a table name that is not a plain name', async () => {
    await expect(db.vacuum([`turn_queue; drop table contacts -- ${randomUUID()}`])).rejects.toThrow(/plain table names/);
  });
});
