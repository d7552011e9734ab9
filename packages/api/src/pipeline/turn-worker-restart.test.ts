/**
 * A worker restarted with its lasting id (beside other processes, as on PostgreSQL) frees at once
 * the turns its killed predecessor had claimed, and leaves alone those another worker holds.
 */
import { randomUUID } from 'node:crypto';
import { describeEachEngine } from '../../../../test/engines';
import { until } from '../../../../test/until';
import { createEchoProvider } from '../agents/echo-provider';
import { createTurnGrants } from '../agents/turn-grants';
import { createTurnRunner } from './turn-runner';
import { claimPrefixOf, claimToken, createTurnWorker } from './turn-worker';
import { claimTurns } from './turn-queue-repo';
import { captureLog } from '../ops/ops-log-capture';

describeEachEngine('turn worker restarted with its lasting id', (env) => {
  const runner = () => createTurnRunner({ db: env.db, memories: env.services.memories, providers: { echo: createEchoProvider() }, grants: createTurnGrants() });

  async function queued(): Promise<string> {
    const accepted = await env.services.inbound.accept(
      { kind: 'owner', tenantId: env.tenantId },
      { channel: 'telegram', sender: { id: `restart-${randomUUID()}` }, messageId: randomUUID(), text: 'hello' },
    );
    expect(accepted.status).toBe('queued');
    return accepted.eventId;
  }

  const statusOf = async (eventId: string) =>
    (await env.admin<{ status: string }>('select status from inbound_events where id = $1', [eventId]))[0]?.status;
  const claimedBy = async (eventId: string) =>
    (await env.admin<{ claimed_by: string | null }>('select claimed_by::text from turn_queue where event_id = $1', [eventId]))[0]?.claimed_by;

  beforeAll(async () => {
    await env.services.agents.update(env.owner, 'default', { dmPolicy: 'open' });
  });

  it('runs its predecessor\'s claimed turn at once and leaves another worker\'s claim to run out', async () => {
    const lastingId = `lasting-${randomUUID()}`;
    const mine = await queued();
    const theirs = await queued();
    // The killed predecessor (same lasting id) and another live process each claimed one, for a minute.
    await claimTurns(env.db, claimToken(claimPrefixOf(lastingId)), 1, 60_000);
    await claimTurns(env.db, claimToken(claimPrefixOf(`other-${randomUUID()}`)), 1, 60_000);
    expect(await claimedBy(mine)).toMatch(new RegExp(`^${claimPrefixOf(lastingId)}`));
    const other = await claimedBy(theirs);
    expect(other).toMatch(/^[0-9a-f-]{36}$/);

    const captured = captureLog();
    const worker = createTurnWorker({ db: env.db, runner: runner(), concurrency: 4, leaseMs: 60_000, pollMs: 50, onOutcome: () => undefined, log: captured.log, lastingId });
    await worker.start(false);
    try {
      await until('the predecessor\'s turn to run', async () => ((await statusOf(mine)) === 'done' ? true : undefined), 5000);
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      await worker.stop();
    }
    expect(captured.entries()).toContainEqual(expect.objectContaining({ msg: 'resuming 1 interrupted turn(s)', turns: 1 }));
    expect(await statusOf(theirs)).toBe('queued');
    expect(await claimedBy(theirs)).toBe(other);
  });

  it('makes claim tokens that are uuids, with the lasting id\'s prefix or without one', () => {
    const prefix = claimPrefixOf('some-id');
    expect(prefix).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-$/);
    expect(claimToken(prefix)).toMatch(new RegExp(`^${prefix}4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`));
    expect(claimToken(undefined)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(claimToken(prefix)).not.toBe(claimToken(prefix));
  });
});
