/**
 * The live feed of new transcript messages (`GET /v1/events`): each subscriber reads, in its own
 * scope, the messages written since it last looked. A message's time is its transaction's start, so
 * a turn that began before another can commit after it: every read looks back a few seconds and
 * skips what it already sent. This process's finished turns nudge every subscriber at once; turns of
 * other processes are found by the poll.
 */
import { AppError, type Message, type TenantId } from '@switchboard/shared';
import type { Db, ScopedTx } from '../db/db';
import type { Scope } from '../db/scope';
import { SqlParams, reachableRowsSql } from '../db/scope-sql';
import { MESSAGE_COLUMNS, MessageRow } from './message-repo';

/** How far back each read looks for messages whose transaction committed late. */
const LOOK_BACK_MS = 10_000;
const BATCH = 500;

export interface MessageFeedOptions {
  db: Db;
  /** The poll's interval when no nudge comes (other processes' turns). */
  pollMs?: number;
  /** The least time between two reads of one subscriber, however often turns finish. */
  minGapMs?: number;
  /** Open subscriptions allowed per tenant and per process; more are refused (429). */
  perTenant?: number;
  total?: number;
}

export type MessageFeed = ReturnType<typeof createMessageFeed>;

export function createMessageFeed(options: MessageFeedOptions) {
  const { db } = options;
  const pollMs = options.pollMs ?? 1000;
  const minGapMs = Math.min(options.minGapMs ?? 100, pollMs);
  const perTenant = options.perTenant ?? 16;
  const total = options.total ?? 256;
  const open = new Map<TenantId, number>();
  const waiting = new Set<() => void>();
  let count = 0;

  function nudge(): void {
    for (const wake of [...waiting]) wake();
  }

  /**
   * Resolves when the subscriber should read again: at a nudge (one that came while it was reading
   * counts), after `pollMs`, or at abort; never sooner than `minGapMs` after its last read, so a
   * busy tenant costs each subscriber a few reads a second, not one per turn.
   */
  async function pause(state: { nudged: boolean }, signal: AbortSignal): Promise<void> {
    await wait(minGapMs, signal);
    if (state.nudged || signal.aborted) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        waiting.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, pollMs - minGapMs);
      waiting.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Reserves a place for a subscriber of the tenant; throws 429 when the tenant or the process has none left. */
  function reserve(tenantId: TenantId): () => void {
    const mine = open.get(tenantId) ?? 0;
    if (mine >= perTenant || count >= total) throw new AppError('rate_limited', 'Too many open event streams; close one and try again');
    open.set(tenantId, mine + 1);
    count += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      count -= 1;
      const left = (open.get(tenantId) ?? 1) - 1;
      if (left === 0) open.delete(tenantId);
      else open.set(tenantId, left);
    };
  }

  /**
   * Calls `onMessages` with every message written in the scope after the subscription began, oldest
   * first, until `signal` aborts. Throws 429 at once when no place is left.
   */
  function subscribe(scope: Scope, onMessages: (messages: Message[]) => void, signal: AbortSignal): Promise<void> {
    const release = reserve(scope.tenantId);
    return follow(scope, onMessages, signal).finally(release);
  }

  async function follow(scope: Scope, onMessages: (messages: Message[]) => void, signal: AbortSignal): Promise<void> {
    const seen = new Map<string, number>();
    // What exists when the subscription begins is not news: marked seen, not sent.
    let since = await db.transaction(scope, async (tx) => {
      const { rows } = await tx.query<{ now: Date }>('select now() as now');
      const now = new Date(rows[0]!.now).getTime();
      for (const message of await readSince(tx, now - LOOK_BACK_MS)) seen.set(message.id, message.createdAt.getTime());
      return now;
    });
    const state = { nudged: false };
    const mark = () => {
      state.nudged = true;
    };
    waiting.add(mark);
    try {
      while (!signal.aborted) {
        await pause(state, signal);
        if (signal.aborted) break;
        state.nudged = false;
        since = await readNews(scope, since, seen, onMessages);
      }
    } finally {
      waiting.delete(mark);
    }
  }

  /** One read: sends what is new, forgets what is long past; returns the newest time seen. */
  async function readNews(scope: Scope, since: number, seen: Map<string, number>, onMessages: (messages: Message[]) => void): Promise<number> {
    const found = await db.transaction(scope, (tx) => readSince(tx, since - LOOK_BACK_MS));
    const fresh = found.filter((message) => !seen.has(message.id));
    let newest = since;
    for (const message of found) {
      const at = message.createdAt.getTime();
      seen.set(message.id, at);
      if (at > newest) newest = at;
    }
    for (const [id, at] of seen) if (at < newest - 2 * LOOK_BACK_MS) seen.delete(id);
    if (fresh.length > 0) onMessages(fresh);
    return newest;
  }

  return { subscribe, nudge };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

async function readSince(tx: ScopedTx, sinceMs: number): Promise<Message[]> {
  const params = new SqlParams();
  const where = reachableRowsSql(tx.scope, params, 'm');
  const { rows } = await tx.query(
    `select ${MESSAGE_COLUMNS} from messages m
     where ${where} and m.created_at > ${params.add(new Date(sinceMs).toISOString())}::timestamptz
     order by m.created_at, m.seq limit ${BATCH}`,
    params.values,
  );
  return rows.map((row) => MessageRow.parse(row));
}
