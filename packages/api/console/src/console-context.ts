/**
 * What every page of a signed-in console shares: the typed API client (the shared one `sb` uses,
 * so the console parses answers with the same schemas), a way to turn an error into words (a
 * refused token signs the console out with that message), the notice line and the live feed.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { AppError, type ApiClient, type Message } from '@switchboard/shared';

export interface ConsoleContextValue {
  client: ApiClient;
  /** The error as one line for the page; an `unauthorized` answer also signs out. */
  describeError(error: unknown): string;
  notify(text: string): void;
  /** New transcript messages of the tenant, as they are stored. */
  feed: MessageFeed;
}

/** The tab's live feed of new transcript messages (console-live.ts). */
export interface MessageFeed {
  /** Returns the unsubscribe function. */
  subscribe(listener: (message: Message) => void): () => void;
}

export const ConsoleContext = createContext<ConsoleContextValue | undefined>(undefined);

export function useConsole(): ConsoleContextValue {
  const value = useContext(ConsoleContext);
  if (!value) throw new Error('useConsole outside a signed-in console');
  return value;
}

export function isUnauthorized(error: unknown): boolean {
  return error instanceof AppError && error.code === 'unauthorized';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
