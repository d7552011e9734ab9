/**
 * Wake-ups between processes on one PostgreSQL (LISTEN/NOTIFY). A queued turn or reply notifies
 * listeners when its transaction commits, never before and never for a rollback; a listener whose
 * connection was cut reconnects and is called once; one that signals itself is not called for what
 * its own connections committed. Across processes: messages accepted by this
 * test process (a Db and services, no worker of its own) are run by a real server process whose
 * worker polls only every 5 s, each within 1.5 s, so it was woken, not polling.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TenantId } from '@switchboard/shared';
import { availableEngines, createMigratedPostgresDatabase } from '../../../../test/engines';
import { homesSharingDatabase, useServerProcesses } from '../../../../test/server-process';
import { until } from '../../../../test/until';
import { createServices } from '../services';
import { findTenantId } from '../tenant-lookup';
import type { Db } from './db';
import { createPgDb } from './pg-db';

if (availableEngines().includes('postgres')) {
  describe('wake-ups between processes on one PostgreSQL (LISTEN/NOTIFY)', () => {
    const servers = useServerProcesses();
    let url = '';
    let drop: (() => Promise<void>) | undefined;
    let accepting: Db;
    let listening: Db;
    let tenantId: TenantId;
    const homes: string[] = [];

    beforeAll(async () => {
      ({ url, drop } = await createMigratedPostgresDatabase());
      accepting = createPgDb({ connectionString: url });
      listening = createPgDb({ connectionString: url });
      tenantId = (await findTenantId(accepting, 'default')) as TenantId;
    }, 60_000);

    afterAll(async () => {
      await accepting?.close();
      await listening?.close();
      await drop?.();
      for (const home of homes) rmSync(home, { recursive: true, force: true });
    }, 30_000);

    const owner = () => ({ kind: 'owner' as const, tenantId });
    const accept = (text: string, extra: object = {}) =>
      createServices(accepting).inbound.accept(owner(), { channel: 'cli', messageId: randomUUID(), text, ...extra });

    function counter(channel: string) {
      const seen = { count: 0 };
      return { seen, stop: listening.listen(channel, () => (seen.count += 1)) };
    }

    it('calls a listener of another connection when a queued turn and a queued reply commit, and not for a rollback', async () => {
      const turns = counter('sb_turns');
      const replies = counter('sb_outbox');
      await Promise.all([turns.stop, replies.stop]);
      await accept('hello');
      await until('the turn wake-up', () => (turns.seen.count > 0 ? true : undefined), 5_000);
      await accepting.adminTransaction(async (tx) => {
        const { rows } = await tx.query<{ id: string }>(`select id from inbound_events where tenant_id = $1 limit 1`, [tenantId]);
        await tx.query(
          `insert into outbox (tenant_id, event_id, channel, account_key, chat_id, text) values ($1, $2, 'cli', 'default', 'owner', 'hi')`,
          [tenantId, rows[0]?.id],
        );
      });
      await until('the reply wake-up', () => (replies.seen.count > 0 ? true : undefined), 5_000);
      const before = turns.seen.count;
      await accepting.adminTransaction(async (tx) => {
        await tx.query(`insert into turn_queue (tenant_id, event_id, lane) select tenant_id, gen_random_uuid(), 'rolled-back' from tenants limit 1`);
        throw new Error('roll back');
      }).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(turns.seen.count).toBe(before);
      await (await turns.stop)();
      await (await replies.stop)();
    });

    it('reconnects a listener whose connection was cut, calls it once, and keeps delivering', async () => {
      const turns = counter('sb_turns');
      await turns.stop;
      await accepting.adminTransaction((tx) => tx.query(`select pg_terminate_backend(pid) from pg_stat_activity where query = 'listen sb_turns'`));
      await until('the call after reconnecting', () => (turns.seen.count > 0 ? true : undefined), 10_000);
      const after = turns.seen.count;
      await accept('after the cut');
      await until('a wake-up on the new connection', () => (turns.seen.count > after ? true : undefined), 5_000);
      await (await turns.stop)();
    });

    it('skips, for a listener that signals itself, what its own connections committed, and not what another connection did', async () => {
      const all = { count: 0 };
      const others = { count: 0 };
      const stops = await Promise.all([
        listening.listen('sb_turns', () => (all.count += 1)),
        listening.listen('sb_turns', () => (others.count += 1), { othersOnly: true }),
      ]);
      await createServices(listening).inbound.accept(owner(), { channel: 'cli', messageId: randomUUID(), text: 'from my own pool' });
      await until('the wake-up of the listener that takes every one', () => (all.count > 0 ? true : undefined), 5_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(others.count).toBe(0);
      await accept('from another pool');
      await until('the wake-up from another connection', () => (others.count > 0 ? true : undefined), 5_000);
      expect(all.count).toBe(2);
      for (const stop of stops) await stop();
    });

    it('refuses a channel name that is not a plain name, as it is written into LISTEN', async () => {
      await expect(listening.listen('sb_turns; drop table contacts', () => undefined)).rejects.toThrow(/not a channel name/);
    });

    it("wakes another process's worker: each message accepted here is answered there within 1.5 s, though it polls every 5 s", async () => {
      const home = homesSharingDatabase('sb-wake-up-')();
      homes.push(home);
      await servers.start('sb-wake-up', { SB_HOME: home, SB_PORT: '0', SB_OWNER_TOKEN: randomBytes(24).toString('hex'), DATABASE_URL: url });
      const { inbound } = createServices(accepting);
      for (let i = 0; i < 5; i++) {
        const accepted = await accept(`wake up ${i}`);
        const started = performance.now();
        await until(`turn ${i}`, async () => ((await inbound.findEvent(tenantId, accepted.eventId))?.status === 'done' ? true : undefined), 5_000);
        expect(performance.now() - started).toBeLessThan(1_500);
        await new Promise((resolve) => setTimeout(resolve, 700));
      }
    }, 60_000);
  });
}
