/**
 * A queue row whose contact is not its event's (a forged or corrupted row) never runs its turn in
 * the wrong scope: the runner refuses it and removes it (the worker logs why), leaving the event
 * queued and unanswered for the owner to see; a row naming a contact that cannot see the event is
 * removed as one whose event is gone. The queue row is forged as the schema owner.
 */
import { randomUUID } from 'node:crypto';
import type { ContactId } from '@switchboard/shared';
import { describeEachEngine } from '../../../../test/engines';
import { until } from '../../../../test/until';
import { createEchoProvider } from '../agents/echo-provider';
import { createTurnGrants } from '../agents/turn-grants';
import { ClaimRefusedError, createTurnRunner, MAX_ATTEMPTS } from './turn-runner';
import { createTurnWorker } from './turn-worker';
import { claimTurns, type ClaimedTurn } from './turn-queue-repo';
import { captureLog } from '../ops/ops-log-capture';

describeEachEngine('turn runner: a queue row must name its event\'s contact', (env) => {
  const runner = () => createTurnRunner({ db: env.db, memories: env.services.memories, providers: { echo: createEchoProvider() }, grants: createTurnGrants() });

  async function queued(sender: string): Promise<{ eventId: string; contactId: ContactId }> {
    const accepted = await env.services.inbound.accept(
      { kind: 'owner', tenantId: env.tenantId },
      { channel: 'telegram', sender: { id: sender }, messageId: randomUUID(), text: 'remember the secret of ' + sender },
    );
    expect(accepted.status).toBe('queued');
    return { eventId: accepted.eventId, contactId: accepted.contactId! };
  }

  async function claim(eventId: string): Promise<ClaimedTurn> {
    const claimed = await claimTurns(env.db, randomUUID(), 100, 60_000);
    const turn = claimed.find((candidate) => candidate.eventId === eventId);
    if (!turn) throw new Error(`turn ${eventId} was not claimed`);
    return turn;
  }

  /** What the event left behind: its status, its queue row, its reply and what its turn remembered. */
  async function traces(eventId: string) {
    const [row] = await env.admin<{ status: string; queued: number; outbox: number; memories: number }>(
      `select e.status,
         (select count(*)::int from turn_queue q where q.event_id = e.id) as queued,
         (select count(*)::int from outbox o where o.event_id = e.id) as outbox,
         (select count(*)::int from memories m where m.source_event_id = e.id) as memories
       from inbound_events e where e.id = $1`,
      [eventId],
    );
    return row;
  }

  beforeAll(async () => {
    await env.services.agents.update(env.owner, 'default', { dmPolicy: 'open' });
  });

  afterEach(async () => {
    await env.admin('delete from turn_queue');
  });

  it("refuses a row that names the owner for a contact's event: removed, logged, not run as the owner", async () => {
    const forged = await queued(`cc-${randomUUID().slice(0, 6)}`);
    await env.admin('update turn_queue set contact_id = null where event_id = $1', [forged.eventId]);
    const honest = await queued(`cc-${randomUUID().slice(0, 6)}`);
    const captured = captureLog();
    const worker = createTurnWorker({ db: env.db, runner: runner(), concurrency: 4, leaseMs: 60_000, pollMs: 50, onOutcome: () => undefined, log: captured.log });
    await worker.start(false);
    try {
      await until('the honest turn to finish', async () => ((await traces(honest.eventId))?.status === 'done' ? true : undefined));
      await until('the refusal to be logged', () => captured.entries().find((entry) => String(entry.msg).includes(`refused turn ${forged.eventId}`)));
    } finally {
      await worker.stop();
    }
    expect(await traces(forged.eventId)).toMatchObject({ status: 'queued', queued: 0, outbox: 0, memories: 0 });
    expect(await traces(honest.eventId)).toMatchObject({ status: 'done', outbox: 1 });
    const owners = await env.admin<{ n: number }>('select count(*)::int as n from sessions where contact_id is null');
    expect(owners[0]!.n).toBe(0);
  });

  it('removes a row that names another contact without running it: the event is not visible to that scope', async () => {
    const victim = await queued(`cc-${randomUUID().slice(0, 6)}`);
    const intruder = await queued(`cc-${randomUUID().slice(0, 6)}`);
    await env.admin('update turn_queue set contact_id = $1 where event_id = $2', [intruder.contactId, victim.eventId]);
    await expect(runner().run(await claim(victim.eventId), new AbortController().signal)).resolves.toBeUndefined();
    expect(await traces(victim.eventId)).toMatchObject({ status: 'queued', queued: 0, outbox: 0, memories: 0 });
    const intruderSessions = await env.admin<{ n: number }>('select count(*)::int as n from sessions where contact_id = $1', [intruder.contactId]);
    expect(intruderSessions[0]!.n).toBe(0);
  });

  it('refuses an exhausted claim whose row names the owner, without recording a failure on the event', async () => {
    const forged = await queued(`cc-${randomUUID().slice(0, 6)}`);
    await env.admin('update turn_queue set contact_id = null, attempts = $2 where event_id = $1', [forged.eventId, MAX_ATTEMPTS]);
    const turn = await claim(forged.eventId);
    expect(turn.attempts).toBeGreaterThan(MAX_ATTEMPTS);
    await expect(runner().failExhausted(turn)).rejects.toThrow(ClaimRefusedError);
    expect(await traces(forged.eventId)).toMatchObject({ status: 'queued', queued: 0, outbox: 0 });
  });
});
