/**
 * Crash safety of the turn pipeline with real server processes: 200 accepted messages, the server
 * killed with SIGKILL while turns are still queued or running, a restart on the same data. Every
 * accepted message must then be answered exactly once, in each sender's order. PGlite also has to
 * take over the data directory lock the dead process left behind.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { AppError, type ApiClient, type ContactId, type InboundAccepted } from '@switchboard/shared';
import { availableEngines, createEmptyPostgresDatabase } from '../../../../test/engines';
import {
  expectedTranscript, postInOrderPerSender, readTranscript, useServerProcesses, waitForOutbox, type ServerProcess,
} from '../../../../test/server-process';

const SENDERS = 20;
const PER_SENDER = 10;

for (const engine of availableEngines()) {
  describe(`turn durability across kill -9, real server processes [${engine}]`, () => {
    const servers = useServerProcesses();
    const ownerToken = randomBytes(24).toString('hex');
    const run = randomBytes(4).toString('hex');
    const home = mkdtempSync(join(tmpdir(), 'sb-durability-'));
    let env: Record<string, string> = {};
    let databaseUrl: string | undefined;
    let dropDatabase: (() => Promise<void>) | undefined;
    let server: ServerProcess | undefined;

    beforeAll(async () => {
      // PGlite: one turn at a time, so the queue is still long when the posts end. PostgreSQL: a few
      // turns claimed at once, and short leases, so the dead process's claims expire quickly.
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
      rmSync(home, { recursive: true, force: true });
    }, 30_000);

    async function running(): Promise<ServerProcess> {
      if (!server?.isRunning) server = await servers.start(`${engine}-${Date.now()}`, env);
      return server;
    }

    it('answers every accepted message exactly once and in order per sender after kill -9 and a restart', async () => {
      const t0 = Date.now();
      const first = await running();
      console.log('started', Date.now() - t0);
      const senders = Array.from({ length: SENDERS }, (_, i) => `${run}${String(i).padStart(2, '0')}`);
      const sent = await postInOrderPerSender(senders, PER_SENDER, () => first.client(ownerToken));
      const answers = sent.flat().map((message) => message.answer);
      expect(answers.map((answer) => answer.status)).toEqual(Array(SENDERS * PER_SENDER).fill('queued'));

      console.log('posted', Date.now() - t0, (await first.client(ownerToken).outbox.list({ limit: 1000 })).length);
      expect(await first.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
      if (engine === 'postgres') {
        expect(await countQueued(databaseUrl as string)).toBeGreaterThan(0);
      } else {
        // The dead process's lock file is still there; the restart must take it over.
        expect(readFileSync(join(home, 'data.lock'), 'utf8').trim()).toBe(String(first.pid));
      }

      const restartedAt = Date.now();
      const second = await running();
      const client = second.client(ownerToken);
      console.log('restarted', Date.now() - t0, (await client.outbox.list({ limit: 1000 })).length);
      await waitForOutbox(client, SENDERS * PER_SENDER, 40_000, () => second.describe());
      if (engine === 'pglite') expect(readFileSync(join(home, 'data.lock'), 'utf8').trim()).toBe(String(second.pid));

      const outbox = await client.outbox.list({ limit: 1000 });
      console.log('drained', Date.now() - t0, second.stdout);
      const eventIds = answers.map((answer) => answer.eventId);
      expect(outbox.map((item) => item.eventId).sort()).toEqual([...eventIds].sort());
      const expectedReplies = new Map(sent.flat().map((m) => [m.answer.eventId, { replyTo: m.messageId, text: `echo: ${m.text}` }]));
      expect(outbox.map((item) => ({ replyTo: item.replyTo, text: item.text }))).toEqual(outbox.map((item) => expectedReplies.get(item.eventId)));
      // Some replies were written by the restarted process: the kill really interrupted the queue.
      expect(outbox.filter((item) => item.createdAt.getTime() >= restartedAt).length).toBeGreaterThan(0);

      for (const messages of sent) {
        const contactIds = new Set(messages.map((m) => (m.answer as InboundAccepted).contactId));
        expect(contactIds.size).toBe(1);
        const transcript = await readTranscript(client, [...contactIds][0] as ContactId);
        expect(transcript).toEqual({ sessions: 1, lines: expectedTranscript(messages) });
      }
    }, 60_000);

    it('fails a ?wait=true request with unavailable, not a hang, when its server is killed mid-wait', async () => {
      const current = await running();
      const client = current.client(ownerToken);
      // One group lane with a long backlog: the waiting message queues behind all of it.
      await client.agents.update('default', { rateLimit: { burst: 10_000, perMinute: 10_000 } });
      const group = `-${run}`;
      const post = (member: string, messageId: string, wait: boolean) =>
        client.inbound(
          { channel: 'telegram', chat: { id: group, type: 'group' }, sender: { id: member }, messageId, text: messageId, mentioned: true },
          { wait },
        );
      const backlog = await Promise.all(Array.from({ length: 400 }, (_, n) => post(`${run}m`, `${run}-backlog-${n}`, false)));
      expect(new Set(backlog.map((answer) => answer.status))).toEqual(new Set(['queued']));

      const waiter = `${run}w`;
      let settled = false;
      const waiting = post(waiter, `${run}-wait`, true).finally(() => (settled = true));
      const failure = waiting.then(() => undefined, (error: unknown) => error);
      await waitUntilContactExists(client, waiter); // its event is committed: the server is now waiting on the turn
      expect(settled).toBe(false);
      await current.kill('SIGKILL');

      const error = await failure;
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('unavailable');
    }, 30_000);
  });
}

async function countQueued(databaseUrl: string): Promise<number> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ queued: number }>(`select count(*)::int as queued from inbound_events where status = 'queued'`);
    return rows[0]?.queued ?? 0;
  } finally {
    await client.end();
  }
}

/** The sender's contact is created in the same transaction as its inbound event. */
async function waitUntilContactExists(client: ApiClient, externalId: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const contacts = await client.contacts.list();
    if (contacts.some((contact) => contact.identities.some((identity) => identity.externalId === externalId))) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no contact for ${externalId} after 10 s`);
}
