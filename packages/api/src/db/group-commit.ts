/**
 * Group commit: calls that arrive while the database is busy with earlier ones are gathered and
 * sent together as one batch (one round trip, one transaction) when a slot frees up; a call that
 * arrives while a slot is free goes at once, so at low load nothing waits for a batch to fill.
 * Each caller gets its own result or its own error: `run` answers one entry per input, in order,
 * an Error for an input that failed alone; a batch that throws fails every call in it.
 */

export interface GroupCommitOptions {
  /** At most this many calls per batch; more wait for the next one. */
  maxBatch: number;
  /** Batches in flight at once (each holds a connection); arrivals meanwhile form the next batch. */
  maxInFlight: number;
}

interface Pending<I, O> {
  input: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

export type GroupCommit<I, O> = (input: I) => Promise<O>;

export function createGroupCommit<I, O>(run: (inputs: I[]) => Promise<Array<O | Error>>, options: GroupCommitOptions): GroupCommit<I, O> {
  if (options.maxBatch < 1 || options.maxInFlight < 1) throw new Error('a group commit needs a batch and a slot of at least one');
  const waiting: Pending<I, O>[] = [];
  let inFlight = 0;

  function flush(): void {
    while (inFlight < options.maxInFlight && waiting.length > 0) {
      const batch = waiting.splice(0, options.maxBatch);
      inFlight += 1;
      void send(batch).finally(() => {
        inFlight -= 1;
        flush();
      });
    }
  }

  async function send(batch: Pending<I, O>[]): Promise<void> {
    try {
      const results = await run(batch.map((call) => call.input));
      if (results.length !== batch.length) throw new Error(`a batch of ${batch.length} calls answered ${results.length} results`);
      batch.forEach((call, i) => {
        const result = results[i] as O | Error;
        if (result instanceof Error) call.reject(result);
        else call.resolve(result);
      });
    } catch (error) {
      batch.forEach((call) => call.reject(error));
    }
  }

  return (input) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ input, resolve, reject });
      flush();
    });
}

/** How many calls a batch takes and how many batches go at once: PGlite has one connection. */
export function groupCommitOptions(engine: 'pglite' | 'postgres'): GroupCommitOptions {
  return engine === 'pglite' ? { maxBatch: 64, maxInFlight: 1 } : { maxBatch: 64, maxInFlight: 4 };
}

/** A PostgreSQL error code a call may meet only because it shared a batch: it is worth one more try alone. */
const RETRY_ALONE = new Set(['40P01', '40001']);

/**
 * The entries of a batch function's result ({"ok": …} or {"error", "code"}) as results and Errors
 * (an Error carries its SQLSTATE as `code`, as pg's errors do). A call that failed on a deadlock
 * or a serialization failure with another batch is run once more on its own with `alone`.
 */
export async function batchEntries<I, O>(
  inputs: I[], entries: unknown[], parse: (ok: unknown) => O, alone: (input: I) => Promise<O>,
): Promise<Array<O | Error>> {
  const results: Array<O | Error> = [];
  for (const [i, entry] of entries.entries()) {
    const { ok, error, code } = (entry ?? {}) as { ok?: unknown; error?: string; code?: string };
    if (error === undefined) results.push(parse(ok));
    else if (code !== undefined && RETRY_ALONE.has(code)) results.push(await alone(inputs[i] as I).catch((failure: unknown) => asError(failure)));
    else results.push(Object.assign(new Error(error), { code }));
  }
  return results;
}

function asError(failure: unknown): Error {
  return failure instanceof Error ? failure : new Error(String(failure));
}
