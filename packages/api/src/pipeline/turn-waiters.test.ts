/**
 * `?wait=true` waiters of this process, with no database: a turn that finished before its request
 * began to wait (the accept commits first, then the request waits) is answered at once, not at the
 * next poll; such outcomes are kept for a few seconds only.
 */
import { createTurnWaiters } from './turn-waiters';
import type { TurnOutcome } from './turn-runner';

const outcome = (eventId: string): TurnOutcome => ({
  eventId, contactId: null, status: 'done', sessionId: null, replyText: `echo: ${eventId}`, error: null,
});

const noPoll = { findEvent: async () => undefined, pollMs: 60_000, timeoutMs: 30_000 };

describe('turn waiters', () => {
  afterEach(() => jest.useRealTimers());

  it('answers at once a wait that begins after its turn finished', async () => {
    const waiters = createTurnWaiters();
    waiters.settle(outcome('early'));
    const started = performance.now();
    await expect(waiters.wait('early', noPoll)).resolves.toEqual(outcome('early'));
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('streams a turn that started before its streaming request watched, and hands the late watcher the text so far', async () => {
    const waiters = createTurnWaiters();
    expect(waiters.textSink('quiet')).toBeUndefined();
    const release = waiters.expectStream();
    // The worker starts the turn between the accept's commit and the request's wait.
    const sink = waiters.textSink('racing');
    expect(sink).toBeDefined();
    sink?.('half of it');
    const seen: string[] = [];
    const waiting = waiters.wait('racing', { ...noPoll, onText: (text) => seen.push(text) });
    release();
    release();
    sink?.('half of it, then the rest');
    waiters.settle(outcome('racing'));
    await waiting;
    expect(seen).toEqual(['half of it', 'half of it, then the rest']);
    // Nobody announced and nobody watching: turns do not stream.
    expect(waiters.textSink('after')).toBeUndefined();
  });

  it('still settles a wait that began before its turn finished', async () => {
    const waiters = createTurnWaiters();
    const waiting = waiters.wait('late', noPoll);
    waiters.settle(outcome('late'));
    await expect(waiting).resolves.toEqual(outcome('late'));
  });

  it('forgets an outcome nobody waited for after 5 seconds', async () => {
    jest.useFakeTimers({ now: 0 });
    const waiters = createTurnWaiters();
    waiters.settle(outcome('old'));
    jest.setSystemTime(6_000);
    waiters.settle(outcome('new'));
    const waited = waiters.wait('old', { ...noPoll, timeoutMs: 1_000 });
    jest.advanceTimersByTime(1_000);
    await expect(waited).rejects.toThrow(/did not finish in time/);
    await expect(waiters.wait('new', noPoll)).resolves.toEqual(outcome('new'));
  });
});
