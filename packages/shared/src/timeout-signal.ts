/**
 * A timed wait that always ends: the signal aborts after `ms` (a `TimeoutError`, like
 * `AbortSignal.timeout`) or as soon as `signal` aborts (with its reason). The timer holds the
 * controller, so nothing can be garbage-collected before it fires (on Node 20 a timeout signal held
 * only by `AbortSignal.any` can be); `clear()` stops the timer and the listener once the wait is over.
 */
export interface TimeoutSignal {
  readonly signal: AbortSignal;
  clear(): void;
}

export function timeoutSignal(ms: number, signal?: AbortSignal): TimeoutSignal {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException(`The operation timed out after ${ms} ms`, 'TimeoutError')), ms);
  const onAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    clear() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}
