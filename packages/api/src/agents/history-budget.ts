/**
 * The transcript an HTTP provider sends, bounded: the most recent messages whose text fits in the
 * agent's `historyChars` budget (default 24,000 characters, roughly 6,000 tokens), oldest first.
 * A message is kept whole or left out, never cut.
 */
import { z } from 'zod';
import type { Message } from '@switchboard/shared';
import type { Turn } from './agent-provider';

const HistoryBudget = z.object({ historyChars: z.number().int().min(0).max(1_000_000).default(24_000) });

export function boundedHistory(turn: Turn): Message[] {
  const { historyChars } = HistoryBudget.parse(turn.agent.config);
  const kept: Message[] = [];
  let used = 0;
  for (let i = turn.history.length - 1; i >= 0; i--) {
    const message = turn.history[i];
    if (!message || used + message.text.length > historyChars) break;
    used += message.text.length;
    kept.unshift(message);
  }
  return kept;
}
