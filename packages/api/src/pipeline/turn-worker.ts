/**
 * The worker loop: claim lane heads up to the free slots of the concurrency cap, run each turn,
 * and claim again when new work is signalled (`wake`: an accept here, NOTIFY from another process),
 * on the poll interval (a safety net: expired leases, a lost notification), and when a turn ends
 * and something may be waiting for its slot: its chat's next message (the finish says so), a
 * wake-up since the turn started (its claim may have met the turn's lane still busy), a claim in
 * flight or one that filled every free slot (more may be claimable). A lone turn in a quiet moment
 * thus ends without an empty claim. Running turns keep their leases alive; stopping waits for
 * them, then aborts what is left. At start it frees what a killed predecessor claimed: every claim
 * on PGlite, those of its lasting id elsewhere.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Db, SqlRunner } from '../db/db';
import type { Log } from '../ops/ops-log';
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
  log: Log;
  /**
   * The worker's lasting id (one live process per SB_HOME has it): every claim token starts with
   * its prefix, and `start` frees the claims a killed predecessor with the same id left behind.
   */
  lastingId?: string;
}

interface Running {
  claim: string;
  controller: AbortController;
  done: Promise<void>;
}

export type TurnWorker = ReturnType<typeof createTurnWorker>;

export function createTurnWorker(options: TurnWorkerOptions) {
  const { db, runner, concurrency, leaseMs, pollMs, onOutcome, log } = options;
  const prefix = options.lastingId === undefined ? undefined : claimPrefixOf(options.lastingId);
  const running = new Map<string, Running>();
  let stopped = false;
  let signalled = false;
  /** Wake-ups from outside the loop (accepts, notifications), counted. */
  let wakeUps = 0;
  /** A claim is in the database now. */
  let claiming = false;
  /** The last claim may have left claimable turns: it filled every free slot, or there was none. */
  let backlog = false;
  let notify: (() => void) | undefined;
  let loopDone: Promise<void> | undefined;
  let renewTimer: NodeJS.Timeout | undefined;

  function wake(): void {
    wakeUps += 1;
    claimAgain();
  }

  function claimAgain(): void {
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
    const wakeUpsAtLaunch = wakeUps;
    let quiet = false;
    const work = turn.attempts > MAX_ATTEMPTS ? runner.failExhausted(turn) : runner.run(turn, controller.signal);
    const done = work
      .then((finished) => {
        if (!finished) return;
        quiet = !finished.nextInLane;
        onOutcome(finished.outcome);
      })
      .catch((error: unknown) => {
        const ids = { tenantId: turn.tenantId, contactId: turn.contactId, eventId: turn.eventId, attempt: turn.attempts };
        if (error instanceof LeaseLostError || error instanceof ClaimRefusedError) log.warn(ids, error.message);
        else if (!controller.signal.aborted) log.error({ ...ids, err: error }, 'turn failed, will retry');
      })
      .finally(() => {
        running.delete(turn.eventId);
        if (!quiet || claiming || backlog || wakeUps !== wakeUpsAtLaunch) claimAgain();
      });
    running.set(turn.eventId, { claim: turn.claim, controller, done });
  }

  async function claimFree(): Promise<number> {
    const free = concurrency - running.size;
    if (free <= 0) {
      backlog = true;
      return 0;
    }
    claiming = true;
    try {
      const claimed = await runner.claim(claimToken(prefix), free, leaseMs);
      backlog = claimed.length === free;
      for (const turn of claimed) launch(turn);
      return claimed.length;
    } catch (error) {
      backlog = true;
      throw error;
    } finally {
      claiming = false;
    }
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      try {
        await claimFree();
      } catch (error) {
        if (!stopped) log.error({ err: error }, 'claiming turns failed');
      }
      if (!stopped) await waitForSignal();
    }
  }

  async function renewLeases(): Promise<void> {
    const byClaim = new Map<string, string[]>();
    for (const [eventId, turn] of running) byClaim.set(turn.claim, [...(byClaim.get(turn.claim) ?? []), eventId]);
    for (const [claim, eventIds] of byClaim) {
      await queueRepo.renewLeases(db, claim, eventIds, leaseMs);
    }
  }

  return {
    wake,

    /** Starts the loop. `soleWorker`: no other process can hold claims (PGlite), so stale ones are all freed. */
    async start(soleWorker: boolean): Promise<void> {
      const release = soleWorker ? queueRepo.releaseAllClaims : prefix === undefined ? undefined : (tx: SqlRunner) => queueRepo.releaseClaimsOf(tx, prefix);
      if (release) {
        const freed = await db.workerTransaction(release);
        if (freed > 0) log.info({ turns: freed }, `resuming ${freed} interrupted turn(s)`);
      }
      renewTimer = setInterval(() => {
        if (running.size > 0) renewLeases().catch((error: unknown) => log.error({ err: error }, 'renewing leases failed'));
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

/** `xxxxxxxx-xxxx-` from a lasting id: the start of each of its claim tokens. */
export function claimPrefixOf(lastingId: string): string {
  const hex = createHash('sha256').update(lastingId).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-`;
}

/** A fresh claim token (a uuid), starting with the worker's prefix when it has one. */
export function claimToken(prefix: string | undefined): string {
  const fresh = randomUUID();
  return prefix === undefined ? fresh : `${prefix}${fresh.slice(14)}`;
}
