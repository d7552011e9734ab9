/**
 * Live updates: follows the tenant's message stream (`client.events`, server-sent events) while a
 * page is open, and reconnects with a growing pause (1 s doubling to 30 s, back to 1 s after a
 * stream that lasted) when the stream ends or fails. A refused token stops following and signs out.
 */
import { useEffect, useRef } from 'preact/hooks';
import type { ApiClient, Message } from '@switchboard/shared';
import { isUnauthorized, useConsole } from './console-context';

const FIRST_PAUSE_MS = 1000;
const LONGEST_PAUSE_MS = 30_000;

export function useLiveMessages(onMessage: (message: Message) => void): void {
  const { client, describeError } = useConsole();
  const handler = useRef(onMessage);
  handler.current = onMessage;
  useEffect(() => {
    const controller = new AbortController();
    void followMessages(client, (message) => handler.current(message), controller.signal).catch((error: unknown) => {
      if (!controller.signal.aborted) describeError(error);
    });
    return () => controller.abort();
  }, [client, describeError]);
}

async function followMessages(client: ApiClient, onMessage: (message: Message) => void, signal: AbortSignal): Promise<void> {
  let pause = FIRST_PAUSE_MS;
  while (!signal.aborted) {
    const started = Date.now();
    try {
      await client.events(onMessage, signal);
    } catch (error) {
      if (isUnauthorized(error)) throw error;
    }
    if (Date.now() - started > LONGEST_PAUSE_MS) pause = FIRST_PAUSE_MS;
    await sleep(pause, signal);
    pause = Math.min(pause * 2, LONGEST_PAUSE_MS);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
