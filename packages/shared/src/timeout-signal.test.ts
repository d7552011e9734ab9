import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { timeoutSignal } from './timeout-signal';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const abortedAfter = (signal: AbortSignal) => new Promise<unknown>((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));

describe('timeoutSignal', () => {
  it('aborts with a TimeoutError after its time, also when nothing but its own timer holds it and garbage is collected meanwhile', async () => {
    const started = Date.now();
    const reasons: unknown[] = [];
    // Only the listener's closure refers to the signal, as with `events.once(…, { signal })`.
    timeoutSignal(150).signal.addEventListener('abort', (event) => reasons.push((event.target as AbortSignal).reason), { once: true });
    gc();
    await new Promise((resolve) => setTimeout(resolve, 60));
    gc();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(reasons).toEqual([expect.objectContaining({ name: 'TimeoutError' })]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('aborts at once with the reason of the signal it follows', async () => {
    const parent = new AbortController();
    const wait = timeoutSignal(10_000, parent.signal);
    const reason = abortedAfter(wait.signal);
    parent.abort(new Error('caller went away'));
    expect(await reason).toEqual(new Error('caller went away'));
    wait.clear();
    const already = timeoutSignal(10_000, parent.signal);
    expect(already.signal.aborted).toBe(true);
    already.clear();
  });

  it('fires nothing once cleared, and leaves no timer behind', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timers();
    const parent = new AbortController();
    const wait = timeoutSignal(50, parent.signal);
    expect(timers()).toBe(before + 1);
    wait.clear();
    expect(timers()).toBe(before);
    parent.abort();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(wait.signal.aborted).toBe(false);
  });
});
