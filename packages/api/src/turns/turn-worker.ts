/**
 * The worker loop: claim lane heads up to the free slots of the concurrency cap, run each turn,
 * and claim again when a turn ends (its lane's next message is now the head), when new work is
 * signalled, or on the poll interval (work queued by other processes, expired leases). Running
 * turns keep their leases alive; stopping waits for them, then aborts what is left.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/db';
import { ClaimRefusedError, LeaseLostError, MAX_ATTEMPTS, type TurnOutcome } from './turn-runner';
import type { createTurnRunner } from './turn-runner';
import * as queueRepo from './turn-queue-repo';

export interface TurnWorkerOptions {
  db: Db;
  runner: ReturnType<typeof createTurnRunner>;
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  onOutcome: (outcome: TurnOutcome) => void;
  log: (line: string) => void;
}

interface Running {
  claim: string;
  controller: AbortController;
  done: Promise<void>;
}

export type TurnWorker = ReturnType<typeof createTurnWorker>;

export function createTurnWorker(options: TurnWorkerOptions) {
  const { db, runner, concurrency, leaseMs, pollMs, onOutcome, log } = options;
  const running = new Map<string, Running>();
  let stopped = false;
  let signalled = false;
  let notify: (() => void) | undefined;
  let loopDone: Promise<void> | undefined;
  let renewTimer: NodeJS.Timeout | undefined;

  function wake(): void {
    signalled = true;
    notify?.();
  }

  function waitForSignal(): Promise<void> {
    if (signalled) {
      signalled = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, pollMs);
      function done() {
        clearTimeout(timer);
        notify = undefined;
        signalled = false;
        resolve();
      }
      notify = done;
    });
  }

  function launch(turn: queueRepo.ClaimedTurn): void {
    const controller = new AbortController();
    const work = turn.attempts > MAX_ATTEMPTS ? runner.failExhausted(turn) : runner.run(turn, controller.signal);
    const done = work
      .then((outcome) => outcome && onOutcome(outcome))
      .catch((error: unknown) => {
        if (error instanceof LeaseLostError || error instanceof ClaimRefusedError) log(`switchboard: ${error.message}`);
        else if (!controller.signal.aborted) log(`switchboard: turn ${turn.eventId} failed, will retry: ${String(error)}`);
      })
      .finally(() => {
        running.delete(turn.eventId);
        wake();
      });
    running.set(turn.eventId, { claim: turn.claim, controller, done });
  }

  async function claimFree(): Promise<number> {
    const free = concurrency - running.size;
    if (free <= 0) return 0;
    const claimed = await db.workerTransaction((tx) => queueRepo.claimTurns(tx, randomUUID(), free, leaseMs));
    for (const turn of claimed) launch(turn);
    return claimed.length;
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      try {
        await claimFree();
      } catch (error) {
        if (!stopped) log(`switchboard: claiming turns failed: ${String(error)}`);
      }
      if (!stopped) await waitForSignal();
    }
  }

  async function renewLeases(): Promise<void> {
    const byClaim = new Map<string, string[]>();
    for (const [eventId, turn] of running) byClaim.set(turn.claim, [...(byClaim.get(turn.claim) ?? []), eventId]);
    for (const [claim, eventIds] of byClaim) {
      await db.workerTransaction((tx) => queueRepo.renewLeases(tx, claim, eventIds, leaseMs));
    }
  }

  return {
    wake,

    /** Starts the loop. `soleWorker`: no other process can hold claims (PGlite), so stale ones are freed. */
    async start(soleWorker: boolean): Promise<void> {
      if (soleWorker) {
        const freed = await db.workerTransaction((tx) => queueRepo.releaseAllClaims(tx));
        if (freed > 0) log(`switchboard: resuming ${freed} interrupted turn(s)`);
      }
      renewTimer = setInterval(() => {
        if (running.size > 0) renewLeases().catch((error: unknown) => log(`switchboard: renewing leases failed: ${String(error)}`));
      }, Math.max(100, Math.floor(leaseMs / 3)));
      renewTimer.unref();
      loopDone = loop();
    },

    /** Stops claiming, lets running turns finish for up to `graceMs`, then aborts them. */
    async stop(graceMs = 10_000): Promise<void> {
      stopped = true;
      notify?.();
      await loopDone;
      const all = Promise.allSettled([...running.values()].map((turn) => turn.done));
      const timer = setTimeout(() => running.forEach((turn) => turn.controller.abort()), graceMs);
      await all;
      clearTimeout(timer);
      clearInterval(renewTimer);
    },
  };
}
