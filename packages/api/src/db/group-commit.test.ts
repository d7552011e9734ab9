/**
 * Group commit on its own (no database: the batch function is the test's): every caller gets its
 * own answer or its own error, batches respect their size and the number in flight, calls keep their
 * order, and a call at idle goes at once.
 */
import fc from 'fast-check';
import { createGroupCommit } from './group-commit';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('group commit', () => {
  it('answers each caller with its own result or error, within the batch and in-flight limits, in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ delayMs: fc.integer({ min: 0, max: 3 }), fails: fc.boolean() }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 3 }),
        async (calls, maxBatch, maxInFlight) => {
          const batches: number[][] = [];
          let inFlight = 0;
          let maxSeen = 0;
          const call = createGroupCommit<number, string>(async (inputs) => {
            inFlight += 1;
            maxSeen = Math.max(maxSeen, inFlight);
            batches.push(inputs);
            await tick(2);
            inFlight -= 1;
            return inputs.map((i) => (calls[i]?.fails ? new Error(`call ${i} failed`) : `answer ${i}`));
          }, { maxBatch, maxInFlight });
          const outcomes: Promise<string>[] = [];
          for (const [i, { delayMs }] of calls.entries()) {
            if (delayMs > 0) await tick(delayMs);
            outcomes.push(call(i).catch((error: Error) => error.message));
          }
          const answers = await Promise.all(outcomes);
          expect(answers).toEqual(calls.map((c, i) => (c.fails ? `call ${i} failed` : `answer ${i}`)));
          expect(maxSeen).toBeLessThanOrEqual(maxInFlight);
          expect(batches.every((b) => b.length >= 1 && b.length <= maxBatch)).toBe(true);
          expect(batches.flat()).toEqual(calls.map((_, i) => i));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('sends a call at once when nothing is in flight, and gathers those that arrive meanwhile into one batch', async () => {
    const batches: string[][] = [];
    let release: () => void = () => undefined;
    const call = createGroupCommit<string, string>(async (inputs) => {
      batches.push(inputs);
      if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return inputs.map((input) => input.toUpperCase());
    }, { maxBatch: 100, maxInFlight: 1 });
    const first = call('a');
    expect(batches).toEqual([['a']]);
    const later = ['b', 'c', 'd'].map((input) => call(input));
    expect(batches).toHaveLength(1);
    release();
    expect(await Promise.all([first, ...later])).toEqual(['A', 'B', 'C', 'D']);
    expect(batches).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('fails every call of a batch that throws, and only those', async () => {
    let failing = true;
    let release: () => void = () => undefined;
    const call = createGroupCommit<number, number>(async (inputs) => {
      if (failing) {
        failing = false;
        await new Promise<void>((resolve) => (release = resolve));
        throw new Error('connection lost');
      }
      return inputs.map((n) => n * 2);
    }, { maxBatch: 10, maxInFlight: 1 });
    const doomed = call(1).catch((error: Error) => error.message);
    const next = [call(2), call(3)];
    release();
    expect(await doomed).toBe('connection lost');
    expect(await Promise.all(next)).toEqual([4, 6]);
  });

  it('fails the batch when it answers a different number of results than it was given', async () => {
    const call = createGroupCommit<number, number>(async () => [], { maxBatch: 10, maxInFlight: 1 });
    await expect(call(1)).rejects.toThrow(/a batch of 1 calls answered 0 results/);
  });
});
