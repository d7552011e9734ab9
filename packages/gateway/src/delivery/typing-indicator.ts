/**
 * "typing…" while a turn runs: shown at once, refreshed every few seconds (platforms drop it after
 * ~5 s), stopped when the reply is delivered, or after a limit when no reply comes.
 */
export interface TypingIndicator {
  start(chatId: string, threadId: string | null): void;
  stop(chatId: string, threadId: string | null): void;
  stopAll(): void;
}

export interface TypingOptions {
  send: (chatId: string, threadId: string | null) => Promise<void>;
  refreshMs?: number;
  limitMs?: number;
  log?: (line: string) => void;
}

export function createTypingIndicator(options: TypingOptions): TypingIndicator {
  const refreshMs = options.refreshMs ?? 4000;
  const limitMs = options.limitMs ?? 120_000;
  const running = new Map<string, { timer: NodeJS.Timeout; until: number }>();
  const keyOf = (chatId: string, threadId: string | null) => `${chatId}\u0000${threadId ?? ''}`;

  const show = (chatId: string, threadId: string | null) => {
    options.send(chatId, threadId).catch((error: unknown) => options.log?.(`gateway: typing in ${chatId} failed: ${String(error)}`));
  };

  function stop(chatId: string, threadId: string | null): void {
    const key = keyOf(chatId, threadId);
    const entry = running.get(key);
    if (!entry) return;
    clearInterval(entry.timer);
    running.delete(key);
  }

  return {
    start(chatId, threadId) {
      const key = keyOf(chatId, threadId);
      const existing = running.get(key);
      if (existing) {
        existing.until = Date.now() + limitMs;
        return;
      }
      show(chatId, threadId);
      const entry = {
        until: Date.now() + limitMs,
        timer: setInterval(() => {
          if (Date.now() >= entry.until) stop(chatId, threadId);
          else show(chatId, threadId);
        }, refreshMs),
      };
      entry.timer.unref();
      running.set(key, entry);
    },
    stop,
    stopAll() {
      for (const entry of running.values()) clearInterval(entry.timer);
      running.clear();
    },
  };
}
