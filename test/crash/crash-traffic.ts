/**
 * The people of a crash run: each sender writes its numbered messages (`c<chat> #<n>`) to the bot in
 * order, as Telegram updates queued in the fake Bot API, a round of one message per sender every
 * `roundMs`, whether a server is up to fetch them or not (updates wait at Telegram). Each pushed
 * message is recorded with its chat and Telegram message id, so the replies can be judged.
 */
import { directMessage, type FakeBotApi } from '../../packages/gateway/src/channels/telegram/testing/fake-bot-api';
import type { CrashMessage } from './crash-verdict';

export interface CrashTraffic {
  /** The messages pushed so far, in the order they were pushed. */
  messages: CrashMessage[];
  /** Resolves once every sender has sent all its messages. */
  done: Promise<void>;
}

export function startCrashTraffic(fake: FakeBotApi, options: { senders: number; perSender: number; roundMs: number; firstChat: number }): CrashTraffic {
  const messages: CrashMessage[] = [];
  const chats = Array.from({ length: options.senders }, (_, i) => options.firstChat + i);
  async function send(): Promise<void> {
    for (let n = 0; n < options.perSender; n++) {
      // Senders interleave differently in every round; each sender's own order never changes.
      for (const chatId of shuffled(chats)) {
        const text = `c${chatId} #${n}`;
        const update = fake.push(directMessage(chatId, text));
        messages.push({ chatId, messageId: update.message?.message_id ?? -1, n, text });
      }
      await new Promise((resolve) => setTimeout(resolve, options.roundMs));
    }
  }
  return { messages, done: send() };
}

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}
