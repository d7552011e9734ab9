/**
 * Crash safety of the turn pipeline with real server processes: 20 senders post 200 messages and
 * the server is killed with SIGKILL in the middle of the traffic, right as it accepts a message.
 * The senders retry what failed (same message id, as a gateway does) once a restarted server on the
 * same data listens. Every message must end up accepted once and answered once, in each sender's
 * order. PGlite also has to take over the data directory lock the dead process left behind.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { AppError, type ContactId, type InboundMessage, type InboundResult } from '@switchboard/shared';
import { availableEngines, createEmptyPostgresDatabase } from '../../../../test/engines';
import {
  expectedTranscript, postInOrderPerSender, readTranscript, useServerProcesses, waitForOutbox, type ServerProcess,
} from '../../../../test/server-process';

const SENDERS = 20;
const PER_SENDER = 10;
const TOTAL = SENDERS * PER_SENDER;
/** The kill lands right after the first process accepted this many messages. */
const KILL_AFTER = TOTAL / 2;

for (const engine of availableEngines()) {
  describe(`turn durability across kill -9, real server processes [${engine}]`, () => {
    const servers = useServerProcesses();
    const ownerToken = randomBytes(24).toString('hex');
    const run = randomBytes(4).toString('hex');
    let home = '';
    let env: Record<string, string> = {};
    let databaseUrl = '';
    let dropDatabase: (() => Promise<void>) | undefined;
    let server: ServerProcess | undefined;

    beforeAll(async () => {
      home = mkdtempSync(join(tmpdir(), 'sb-durability-'));
      // PGlite: one turn at a time. PostgreSQL: a few at once, and short leases, so the dead
      // process's claims expire quickly.
      env = { SB_HOME: home, SB_PORT: '0', SB_OWNER_TOKEN: ownerToken, SB_CONCURRENCY: engine === 'pglite' ? '1' : '2' };
      if (engine === 'postgres') {
        const database = await createEmptyPostgresDatabase();
        databaseUrl = database.url;
        dropDatabase = database.drop;
        env = { ...env, DATABASE_URL: database.url, SB_LEASE_MS: '1500' };
      }
    }, 30_000);

    afterAll(async () => {
      await server?.kill();
      await dropDatabase?.();
      if (home) rmSync(home, { recursive: true, force: true });
    }, 30_000);

    async function running(): Promise<ServerProcess> {
      if (!server?.isRunning) server = await servers.start(`${engine}-${Date.now()}`, env);
      return server;
    }

    it('answers every accepted message exactly once and in order per sender after kill -9 and a restart', async () => {
      const first = await running();
      const traffic = createCrashingTraffic(first, ownerToken, KILL_AFTER);
      const senders = Array.from({ length: SENDERS }, (_, i) => `${run}${String(i).padStart(2, '0')}`);
      const posting = postInOrderPerSender(senders, PER_SENDER, traffic.post);
      const postingFailed = posting.then(() => {
        throw new Error('every message was posted, yet the first server was never killed');
      });
      postingFailed.catch(() => undefined);

      expect(await Promise.race([first.exited, postingFailed])).toEqual({ code: null, signal: 'SIGKILL' });
      if (engine === 'postgres') {
        expect(await countQueued(databaseUrl)).toBeGreaterThan(0);
      } else {
        expect(readFileSync(join(home, 'data.lock'), 'utf8').trim()).toBe(String(first.pid)); // left behind by the dead process
      }
      const restartedAt = Date.now();
      const second = await traffic.restart(running);
      const sent = await posting;
      const client = second.client(ownerToken);
      await waitForOutbox(client, TOTAL, 40_000, () => second.describe());
      if (engine === 'pglite') expect(readFileSync(join(home, 'data.lock'), 'utf8').trim()).toBe(String(second.pid));

      const messages = sent.flat();
      expect(messages.filter((m) => m.answer.status !== 'queued' && !(traffic.retried.has(m.messageId) && m.answer.status === 'duplicate'))).toEqual([]);
      const outbox = await client.outbox.list({ limit: 1000 });
      expect(outbox.map((item) => item.eventId).sort()).toEqual(messages.map((m) => m.answer.eventId).sort());
      const replies = new Map(messages.map((m) => [m.answer.eventId, { replyTo: m.messageId, text: `echo: ${m.text}` }]));
      expect(outbox.map((item) => ({ replyTo: item.replyTo, text: item.text }))).toEqual(outbox.map((item) => replies.get(item.eventId)));
      // The kill interrupted work: messages the first process accepted were answered by the second.
      const finishedAfterRestart = outbox.filter((item) => traffic.committedByFirst.has(item.eventId) && item.createdAt.getTime() >= restartedAt);
      expect(finishedAfterRestart.length).toBeGreaterThan(0);

      for (const mine of sent) {
        const contactIds = new Set(mine.map((m) => m.answer.contactId));
        expect(contactIds.size).toBe(1);
        const transcript = await readTranscript(client, [...contactIds][0] as ContactId);
        expect(transcript).toEqual({ sessions: 1, lines: expectedTranscript(mine) });
      }
    }, 90_000);

    it('fails a ?wait=true request with unavailable, not a hang, when its server is killed mid-wait', async () => {
      const current = await running();
      const client = current.client(ownerToken);
      // Slow turns to queue the waiting message behind: recalls with a long query over many memories.
      await Promise.all(Array.from({ length: 30 }, (_, i) => client.memories.add({ content: words(300, i), visibility: 'shared' })));
      for (let attempt = 0; attempt < 10; attempt++) {
        const sender = `${run}w${attempt}`;
        const say = (messageId: string, text: string, wait = false) =>
          client.inbound({ channel: 'telegram', sender: { id: sender }, messageId, text }, { wait });
        await Promise.all(Array.from({ length: 3 + attempt }, (_, n) => say(`${sender}-recall-${n}`, `recall ${words(5000, n)}`)));
        let settled = false;
        const waiting = say(`${sender}-wait`, 'still there?', true)
          .then((answer) => ({ answer, error: undefined }), (error: unknown) => ({ answer: undefined, error }))
          .finally(() => (settled = true));
        // Freeze the server once the request is on its way, and look whether an answer got out first.
        await ioSettled(20);
        current.signal('SIGSTOP');
        await ioSettled(50);
        // On PostgreSQL the frozen server's state is readable: its event must be committed and waiting.
        const isWaiting = engine === 'pglite' || (await eventStatus(databaseUrl, `${sender}-wait`)) === 'queued';
        if (settled || !isWaiting) {
          current.signal('SIGCONT'); // not caught mid-wait: try again with a longer queue ahead of it
          await waiting;
          continue;
        }
        await current.kill('SIGKILL');
        const { answer, error } = await waiting;
        expect(answer).toBeUndefined();
        expect(error).toBeInstanceOf(AppError);
        expect((error as AppError).code).toBe('unavailable');
        return;
      }
      throw new Error(`every waiting request was answered before the server could be stopped\n${current.describe()}`);
    }, 30_000);
  });
}

/** `count` space-separated pseudo-words, different for each seed. */
function words(count: number, seed: number): string {
  return Array.from({ length: count }, (_, i) => `w${((i * 7919 + seed * 104_729) % 5000).toString(36)}`).join(' ');
}

/**
 * Traffic that crashes its server: messages go to `first`, which gets SIGKILL the moment its
 * `killAfter`-th accept comes back. A message that fails because of the kill is sent again, same
 * message id, to the server `restart` starts (as a gateway retries until it gets a 2xx).
 */
function createCrashingTraffic(first: ServerProcess, ownerToken: string, killAfter: number) {
  let current = first;
  let settle!: { resolve: (server: ServerProcess) => void; reject: (error: unknown) => void };
  const restarted = new Promise<ServerProcess>((resolve, reject) => (settle = { resolve, reject }));
  restarted.catch(() => undefined);
  /** Events the first process committed (its 202 arrived, or a retry found them as duplicates). */
  const committedByFirst = new Set<string>();
  const retried = new Set<string>();

  async function post(message: InboundMessage): Promise<InboundResult> {
    const target = current;
    try {
      const answer = await target.client(ownerToken).inbound(message);
      if (target === first) {
        committedByFirst.add(answer.eventId);
        if (committedByFirst.size === killAfter) first.signal('SIGKILL');
      }
      return answer;
    } catch (error) {
      if (target !== first || !(error instanceof AppError) || error.code !== 'unavailable') throw error;
      retried.add(message.messageId);
      const answer = await (await restarted).client(ownerToken).inbound(message);
      if (answer.status === 'duplicate') committedByFirst.add(answer.eventId); // its 202 was lost in the kill
      return answer;
    }
  }

  async function restart(start: () => Promise<ServerProcess>): Promise<ServerProcess> {
    try {
      current = await start();
      settle.resolve(current);
      return current;
    } catch (error) {
      settle.reject(error);
      throw error;
    }
  }

  return { post, restart, committedByFirst, retried };
}

async function countQueued(databaseUrl: string): Promise<number> {
  const rows = await querySchemaOwner<{ queued: number }>(databaseUrl, `select count(*)::int as queued from inbound_events where status = 'queued'`);
  return rows[0]?.queued ?? 0;
}

async function eventStatus(databaseUrl: string, platformMessageId: string): Promise<string | undefined> {
  const rows = await querySchemaOwner<{ status: string }>(databaseUrl, `select status from inbound_events where platform_message_id = $1`, [platformMessageId]);
  return rows[0]?.status;
}

/** SQL over a direct connection as the schema owner (outside row-level security). */
async function querySchemaOwner<R>(databaseUrl: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as R[];
  } finally {
    await client.end();
  }
}

/** Waits `ms`, then lets pending socket reads run (a reply already sent arrives within that). */
async function ioSettled(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  await new Promise((resolve) => setImmediate(resolve));
}
