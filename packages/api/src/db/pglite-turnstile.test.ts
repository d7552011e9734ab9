import { createTurnstile } from './pglite-db';

describe('the PGlite turnstile', () => {
  it('runs one operation at a time, in the order they came', async () => {
    const exclusive = createTurnstile();
    const log: string[] = [];
    let running = 0;
    const work = (name: string) => exclusive(async () => {
      running += 1;
      expect(running).toBe(1);
      log.push(`start ${name}`);
      await Promise.resolve();
      log.push(`end ${name}`);
      running -= 1;
      return name;
    });
    await expect(Promise.all([work('a'), work('b'), work('c')])).resolves.toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('starts the next operation from the event loop, after the I/O callbacks queued meanwhile', async () => {
    const exclusive = createTurnstile();
    const seen: string[] = [];
    const first = exclusive(async () => {
      // A socket read (or any callback) that became ready while the first operation ran.
      setImmediate(() => seen.push('io callback'));
      seen.push('first');
    });
    const second = exclusive(async () => {
      seen.push('second');
    });
    await Promise.all([first, second]);
    expect(seen).toEqual(['first', 'io callback', 'second']);
  });

  it('lets a failed operation go without blocking the ones after it', async () => {
    const exclusive = createTurnstile();
    const failed = exclusive(async () => {
      throw new Error('no such table');
    });
    await expect(failed).rejects.toThrow('no such table');
    await expect(exclusive(async () => 'next')).resolves.toBe('next');
  });
});
