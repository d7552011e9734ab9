/**
 * Live updates: one connection per signed-in tab follows the tenant's message stream
 * (`client.events`, server-sent events) and hands each message to the pages listening. When the
 * stream ends or fails it reconnects after a growing pause (1 s doubling to 30 s, back to 1 s after
 * a stream that lasted); a refused token stops it and signs out.
 */
import { useEffect, useMemo, useRef } from 'preact/hooks';
import type { ApiClient, Message } from '@switchboard/shared';
import { isUnauthorized, useConsole, type MessageFeed } from './console-context';

const FIRST_PAUSE_MS = 1000;
const LONGEST_PAUSE_MS = 30_000;

type Listener = (message: Message) => void;

/** The tab's one connection, for the shell; stops when the client changes or the shell unmounts. */
export function useMessageFeed(client: ApiClient, describeError: (error: unknown) => string): MessageFeed {
  const listeners = useMemo(() => new Set<Listener>(), []);
  useEffect(() => {
    const controller = new AbortController();
    const deliver = (message: Message) => listeners.forEach((listener) => listener(message));
    followMessages(client, deliver, controller.signal).catch((error: unknown) => {
      if (!controller.signal.aborted) describeError(error);
    });
    return () => controller.abort();
  }, [client, describeError, listeners]);
  return useMemo(() => ({
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  }), [listeners]);
}

/** Calls `onMessage` (the latest one passed) for every new message while the page is open. */
export function useLiveMessages(onMessage: Listener): void {
  const { feed } = useConsole();
  const handler = useRef(onMessage);
  handler.current = onMessage;
  useEffect(() => feed.subscribe((message) => handler.current(message)), [feed]);
}

async function followMessages(client: ApiClient, onMessage: Listener, signal: AbortSignal): Promise<void> {
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
