/**
 * When the worker claims again, on both engines. The poll is set to a minute, so a turn that waited
 * for it would fail the test: a lone turn costs one claim and no empty claim after it; a chat's
 * queued messages run back to back (the finish says one is waiting); turns beyond the free slots
 * run as slots free up; a message accepted while its chat's turn runs is run right after it.
 */
import { randomUUID } from 'node:crypto';
import { describeEachEngine } from '../../../../test/engines';
import { until } from '../../../../test/until';
import type { AgentProvider } from '../agents/agent-provider';
import { createEchoProvider } from '../agents/echo-provider';
import { createTurnGrants } from '../agents/turn-grants';
import { createSilentLog } from '../ops/ops-log';
import { createServices } from '../services';
import { createTurnRunner, type TurnOutcome } from './turn-runner';
import { createTurnWorker, type TurnWorker } from './turn-worker';

const POLL_MS = 60_000;

describeEachEngine('when the turn worker claims again', (env) => {
  const owner = () => ({ kind: 'owner' as const, tenantId: env.tenantId });
  let worker: TurnWorker | undefined;

  beforeAll(async () => {
    await env.services.agents.update(env.owner, 'default', { dmPolicy: 'open', rateLimit: { burst: 1000, perMinute: 1000 }, newContactRate: { burst: 1000, perMinute: 1000 } });
  });

  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
    await env.admin('delete from turn_queue');
  });

  /** A worker over the real database whose claims are counted, and an inbound service that wakes it. */
  function startWorker(concurrency: number, provider: AgentProvider = createEchoProvider()) {
    const runner = createTurnRunner({ db: env.db, memories: env.services.memories, providers: { echo: provider }, grants: createTurnGrants() });
    const claims = { started: 0, ended: 0 };
    const counted = {
      ...runner,
      claim: async (...args: Parameters<typeof runner.claim>) => {
        claims.started += 1;
        try {
          return await runner.claim(...args);
        } finally {
          claims.ended += 1;
        }
      },
    };
    const outcomes: TurnOutcome[] = [];
    const started = createTurnWorker({ db: env.db, runner: counted, concurrency, leaseMs: 60_000, pollMs: POLL_MS, onOutcome: (o) => outcomes.push(o), log: createSilentLog() });
    worker = started;
    const inbound = createServices(env.db, { wake: () => started.wake() }).inbound;
    const accept = async (sender: string, text: string) => {
      const accepted = await inbound.accept(owner(), { channel: 'telegram', sender: { id: sender }, messageId: randomUUID(), text });
      expect(accepted.status).toBe('queued');
      return accepted.eventId;
    };
    return { worker: started, claims, outcomes, accept };
  }

  const replies = (outcomes: TurnOutcome[], eventIds: string[]) =>
    eventIds.map((id) => outcomes.find((outcome) => outcome.eventId === id)?.replyText);
  const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

  it('runs a lone turn with one claim and claims nothing after it', async () => {
    const { worker: started, claims, outcomes, accept } = startWorker(4);
    await started.start(false);
    await until('the first look at the queue', () => (claims.ended === 1 ? true : undefined), 5_000);
    const eventId = await accept(`lone-${randomUUID().slice(0, 8)}`, 'hello');
    await until('the turn', () => (outcomes.length === 1 ? true : undefined), 10_000);
    await settle();
    expect(replies(outcomes, [eventId])).toEqual(['echo: hello']);
    expect(claims).toEqual({ started: 2, ended: 2 });
  });

  it("runs a chat's queued messages back to back, in order, without waiting for the poll", async () => {
    const { worker: started, outcomes, accept } = startWorker(4);
    const sender = `lane-${randomUUID().slice(0, 8)}`;
    // Queued before the worker starts: its first claim finds the chat's head, the rest wait behind it.
    const eventIds = [await accept(sender, 'one'), await accept(sender, 'two'), await accept(sender, 'three')];
    await started.start(false);
    await until('the three turns', () => (outcomes.length === 3 ? true : undefined), 10_000);
    expect(outcomes.map((outcome) => outcome.eventId)).toEqual(eventIds);
    expect(replies(outcomes, eventIds)).toEqual(['echo: one', 'echo: two', 'echo: three']);
  });

  it('runs the turns beyond its free slots as the slots free up', async () => {
    const { worker: started, outcomes, accept } = startWorker(1);
    const eventIds = [];
    for (let i = 0; i < 4; i += 1) eventIds.push(await accept(`slots-${i}-${randomUUID().slice(0, 8)}`, `chat ${i}`));
    await started.start(false);
    await until('the four turns', () => (outcomes.length === 4 ? true : undefined), 10_000);
    expect(replies(outcomes, eventIds)).toEqual(['echo: chat 0', 'echo: chat 1', 'echo: chat 2', 'echo: chat 3']);
  });

  it("runs a message accepted while its chat's turn runs right after that turn", async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slow: AgentProvider = {
      name: 'echo',
      async run(turn) {
        if (turn.text === 'slow') await held;
        return { text: `done ${turn.text}`, providerSessionId: null };
      },
    };
    const { worker: started, claims, outcomes, accept } = startWorker(4, slow);
    await started.start(false);
    const sender = `busy-${randomUUID().slice(0, 8)}`;
    const first = await accept(sender, 'slow');
    await until('the slow turn to be claimed', () => (claims.ended >= 2 ? true : undefined), 5_000);
    const second = await accept(sender, 'next');
    await until('the claim woken by the second message', () => (claims.ended >= 3 ? true : undefined), 5_000);
    expect(outcomes).toEqual([]);
    release();
    await until('both turns', () => (outcomes.length === 2 ? true : undefined), 10_000);
    expect(replies(outcomes, [first, second])).toEqual(['done slow', 'done next']);
  });
});
