/**
 * `?wait=true`: a request waits for its turn's outcome. The worker of this process settles waiters
 * directly; a turn finished by another process is found by polling the event. A wait ends with the
 * outcome, a `timeout` error, or when the caller goes away (its signal aborts). A turn can finish
 * before its request starts waiting (the accept is committed first): outcomes nobody waited for
 * are kept for a few seconds, so such a wait ends at once instead of at the next poll.
 *
 * A turn can also start before its streaming request starts watching: the event is visible to the
 * worker (woken by NOTIFY) as soon as it commits, before the accepting request has its id. So a
 * streaming request announces itself before it accepts (`expectStream`); while one is announced,
 * every turn that starts streams and keeps its text so far, and a watcher that comes late gets that
 * text at once.
 */
import { AppError } from '@switchboard/shared';
import type { InboundEvent } from './inbound-repo';
import type { TurnOutcome } from './turn-runner';

export interface TurnWaitersDeps {
  findEvent: (eventId: string) => Promise<InboundEvent | undefined>;
  pollMs: number;
}

type Settle = (outcome: TurnOutcome) => void;

/** How long, and how many, outcomes nobody waited for yet are kept. */
const RECENT_MS = 5_000;
const RECENT_MAX = 10_000;

export type TurnWaiters = ReturnType<typeof createTurnWaiters>;

export function createTurnWaiters() {
  const waiting = new Map<string, Set<Settle>>();
  const watching = new Map<string, Set<(textSoFar: string) => void>>();
  /** The text so far of running turns that stream (dropped when they settle). */
  const written = new Map<string, string>();
  let announced = 0;
  const recent = new Map<string, { outcome: TurnOutcome; at: number }>();

  function keep(outcome: TurnOutcome): void {
    const now = Date.now();
    for (const [eventId, kept] of recent) {
      if (kept.at > now - RECENT_MS && recent.size < RECENT_MAX) break;
      recent.delete(eventId);
    }
    recent.set(outcome.eventId, { outcome, at: now });
  }

  return {
    /** A streaming request about to accept its message; call what it returns once it watches (or failed). */
    expectStream(): () => void {
      announced += 1;
      let done = false;
      return () => {
        if (!done) announced -= 1;
        done = true;
      };
    },

    /** Where a turn streams its text so far; undefined when nobody watches it, or may be about to. */
    textSink(eventId: string): ((textSoFar: string) => void) | undefined {
      if (!watching.has(eventId) && announced === 0) return undefined;
      return (text) => {
        written.set(eventId, text);
        watching.get(eventId)?.forEach((watch) => watch(text));
      };
    },

    /** Called by the worker when a turn ended. */
    settle(outcome: TurnOutcome): void {
      written.delete(outcome.eventId);
      const settles = waiting.get(outcome.eventId);
      waiting.delete(outcome.eventId);
      if (settles) settles.forEach((settle) => settle(outcome));
      else keep(outcome);
    },

    /** `onText`: the reply's text so far while the turn runs, when this process runs it and its provider streams. */
    wait(eventId: string, options: TurnWaitersDeps & { timeoutMs: number; signal?: AbortSignal; onText?: (textSoFar: string) => void }): Promise<TurnOutcome> {
      const finished = recent.get(eventId);
      if (finished) {
        recent.delete(eventId);
        return Promise.resolve(finished.outcome);
      }
      return new Promise<TurnOutcome>((resolve, reject) => {
        const settles = waiting.get(eventId) ?? new Set<Settle>();
        waiting.set(eventId, settles);
        const { onText } = options;
        if (onText) {
          const watchers = watching.get(eventId) ?? new Set();
          watching.set(eventId, watchers.add(onText));
          const soFar = written.get(eventId);
          if (soFar !== undefined) onText(soFar);
        }
        const cleanup = () => {
          if (onText) {
            const watchers = watching.get(eventId);
            watchers?.delete(onText);
            if (watchers?.size === 0) watching.delete(eventId);
          }
          clearTimeout(timeout);
          clearInterval(poll);
          settles.delete(settle);
          if (settles.size === 0 && waiting.get(eventId) === settles) waiting.delete(eventId);
          options.signal?.removeEventListener('abort', onAbort);
        };
        const settle: Settle = (outcome) => {
          cleanup();
          resolve(outcome);
        };
        const fail = (error: unknown) => {
          cleanup();
          reject(error);
        };
        const onAbort = () => fail(new AppError('unavailable', 'The caller went away'));
        settles.add(settle);
        options.signal?.addEventListener('abort', onAbort, { once: true });
        const timeout = setTimeout(() => fail(new AppError('timeout', `Turn ${eventId} did not finish in time`)), options.timeoutMs);
        const poll = setInterval(() => {
          options.findEvent(eventId).then((event) => {
            const outcome = event && outcomeOf(event);
            if (outcome) settle(outcome);
          }, fail);
        }, options.pollMs);
      });
    },
  };
}

function outcomeOf(event: InboundEvent): TurnOutcome | undefined {
  if (event.status !== 'done' && event.status !== 'failed') return undefined;
  return { eventId: event.id, contactId: event.contactId, status: event.status, sessionId: event.sessionId, replyText: event.replyText, error: event.error };
}
