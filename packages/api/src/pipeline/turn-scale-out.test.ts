/**
 * Scale-out on PostgreSQL with real server processes: two servers started at once on one database
 * (the migrator's advisory lock lets one migrate), 100 senders posting 5 messages each, every
 * sender alternating between the two servers. Each message must be answered exactly once and in
 * the sender's order, whichever process accepted it or ran its turn. To see which process wrote a
 * reply, each process connects with its own application_name and the test adds a column to the
 * outbox whose default records it (instrumentation only: the server never reads it).
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { Client } from 'pg';
import type { ApiClient, ContactId } from '@switchboard/shared';
import { availableEngines, createEmptyPostgresDatabase } from '../../../../test/engines';
import {
  expectedTranscript, homesSharingDatabase, postInOrderPerSender, readTranscript, useServerProcesses, waitForOutbox, type ServerProcess,
} from '../../../../test/server-process';

const SENDERS = 100;
const PER_SENDER = 5;
const TOTAL = SENDERS * PER_SENDER;
const NAMES = ['sb-scale-1', 'sb-scale-2'] as const;

if (availableEngines().includes('postgres')) {
  describe('turn scale-out, two real server processes on one PostgreSQL', () => {
    const servers = useServerProcesses();
    const ownerToken = randomBytes(24).toString('hex');
    const run = randomBytes(4).toString('hex');
    const homes: string[] = [];
    let databaseUrl = '';
    let dropDatabase: (() => Promise<void>) | undefined;
    let processes: ServerProcess[] = [];

    beforeAll(async () => {
      const database = await createEmptyPostgresDatabase();
      databaseUrl = database.url;
      dropDatabase = database.drop;
      const newHome = homesSharingDatabase('sb-scale-');
      processes = await Promise.all(
        NAMES.map((name) => {
          const home = newHome();
          homes.push(home);
          return servers.start(name, { SB_HOME: home, SB_PORT: '0', SB_OWNER_TOKEN: ownerToken, DATABASE_URL: withApplicationName(databaseUrl, name) });
        }),
      );
      await querySchemaOwner(databaseUrl, `alter table outbox add column written_by text default current_setting('application_name')`);
    }, 120_000);

    afterAll(async () => {
      await Promise.all(processes.map((server) => server.kill()));
      await dropDatabase?.();
      for (const home of homes) rmSync(home, { recursive: true, force: true });
    }, 30_000);

    it('answers each message exactly once and in order per sender while both processes run turns', async () => {
      const clients = processes.map((server) => server.client(ownerToken));
      // All senders are new at once: more than the default new-contact limit.
      await (clients[0] as ApiClient).agents.update('default', { newContactRate: { burst: SENDERS, perMinute: 60 } });
      const senders = Array.from({ length: SENDERS }, (_, i) => `${run}${String(i).padStart(3, '0')}`);
      // A sender's consecutive messages go to different processes, starting with either one.
      const sent = await postInOrderPerSender(senders, PER_SENDER, (message, n, senderIndex) =>
        (clients[(senderIndex + n) % clients.length] as ApiClient).inbound(message),
      );
      const messages = sent.flat();
      expect(messages.filter((m) => m.answer.status !== 'queued')).toEqual([]);

      const client = clients[0] as ApiClient;
      await waitForOutbox(client, TOTAL, 40_000, () => processes.map((server) => server.describe()).join('\n'));
      const outbox = await client.outbox.list({ limit: 1000 });
      expect(outbox.map((item) => item.eventId).sort()).toEqual(messages.map((m) => m.answer.eventId).sort());

      for (const mine of sent) {
        const contactIds = new Set(mine.map((m) => m.answer.contactId));
        expect(contactIds.size).toBe(1);
        expect(await readTranscript(client, [...contactIds][0] as ContactId)).toEqual({ sessions: 1, lines: expectedTranscript(mine) });
      }

      const writers = await querySchemaOwner<{ written_by: string; replies: number }>(
        databaseUrl,
        `select written_by, count(*)::int as replies from outbox group by written_by order by written_by`,
      );
      expect(writers.map((row) => row.written_by)).toEqual([...NAMES]);
      expect(writers.reduce((sum, row) => sum + row.replies, 0)).toBe(TOTAL);
    }, 60_000);
  });
}

function withApplicationName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('application_name', name);
  return parsed.toString();
}

/** SQL over a direct connection as the schema owner (outside row-level security). */
async function querySchemaOwner<R>(databaseUrl: string, sql: string): Promise<R[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql)).rows as R[];
  } finally {
    await client.end();
  }
}
