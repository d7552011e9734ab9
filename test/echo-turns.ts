/**
 * Sessions and transcripts made the way the server makes them: a message is accepted as the owner's
 * token posts it, and a turn worker with the built-in echo agent claims, runs and finishes its turn.
 * The worker runs only while a call waits for its turn, and would claim whatever else is queued: a
 * suite that keeps turns queued on purpose queues them after its echo turns (a call refuses to start
 * while other turns are queued).
 */
import { randomUUID } from 'node:crypto';
import type { InboundMessage, TenantId } from '@switchboard/shared';
import { createEchoProvider } from '../packages/api/src/agents/echo-provider';
import { createTurnGrants } from '../packages/api/src/agents/turn-grants';
import { createTurnRunner, type TurnOutcome } from '../packages/api/src/pipeline/turn-runner';
import { createTurnWorker } from '../packages/api/src/pipeline/turn-worker';
import { captureLog } from '../packages/api/src/ops/ops-log-capture';
import type { TestEnv } from './engines';
import { until } from './until';

export type EchoMessage = Omit<InboundMessage, 'messageId'> & { messageId?: string };

/** Accepts the message in the tenant (default: the suite's) and runs its turn to the end; fails unless it was answered. */
export async function runEchoTurn(env: TestEnv, message: EchoMessage, tenantId: TenantId = env.tenantId): Promise<TurnOutcome> {
  const accepted = await env.services.inbound.accept({ kind: 'owner', tenantId }, { messageId: randomUUID(), ...message });
  if (accepted.status !== 'queued') throw new Error(`"${message.text}" was not queued for a turn: ${JSON.stringify(accepted)}`);
  const others = await env.admin<{ event_id: string }>('select event_id::text from turn_queue where event_id <> $1', [accepted.eventId]);
  if (others.length > 0) throw new Error(`other turns are queued (${others.map((row) => row.event_id).join(', ')}): run echo turns before queueing them`);

  const outcomes: TurnOutcome[] = [];
  const captured = captureLog();
  const runner = createTurnRunner({ db: env.db, memories: env.services.memories, providers: { echo: createEchoProvider() }, grants: createTurnGrants() });
  const worker = createTurnWorker({
    db: env.db, runner, concurrency: 1, leaseMs: 60_000, pollMs: 20, onOutcome: (outcome) => outcomes.push(outcome), log: captured.log,
  });
  await worker.start(false);
  let outcome: TurnOutcome;
  try {
    outcome = await until(`the turn of "${message.text}"`, () => outcomes.find((o) => o.eventId === accepted.eventId));
  } catch (error) {
    const logged = captured.entries().map((entry) => String(entry.msg));
    throw new Error(`${String(error)}; the worker logged: ${logged.join(' | ') || 'nothing'}`);
  } finally {
    await worker.stop();
  }
  if (outcome.status !== 'done') throw new Error(`the turn of "${message.text}" failed: ${outcome.error}`);
  return outcome;
}
