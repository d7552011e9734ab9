/**
 * What a person would see after a crash run, judged from the Bot API's side: each message's reply
 * (`echo: <text>` names it) must reach its chat, quote it, arrive in the chat's order, and arrive
 * once, except a reply sent again because a kill lost its acknowledgement: its first copy went out
 * shortly before a kill and the copy after the restart. Pure: the test feeds it what the fake recorded.
 */

/** A message a sender sent: its Telegram chat and message id, its number in the sender's order. */
export interface CrashMessage {
  chatId: number;
  messageId: number;
  n: number;
  text: string;
}

/** A sendMessage the Bot API received, with the time it arrived. */
export interface CrashSend {
  chatId: string | number;
  text: string;
  quotes: number | undefined;
  at: number;
}

/** One kill: when SIGKILL was sent and when the process was gone. */
export interface CrashKill {
  killedAt: number;
  exitedAt: number;
}

/** How long before a kill a send may have gone out with its ack still unwritten (an ack is one local request). */
export const DUPLICATE_WINDOW_MS = 2_000;

export interface CrashDuplicate {
  text: string;
  /** Milliseconds from the first copy to the kill after it; undefined when no kill followed. */
  firstBeforeKillMs: number | undefined;
  isInsideWindow: boolean;
}

export interface CrashVerdict {
  messages: number;
  answered: number;
  lost: string[];
  outOfOrder: string[];
  misrouted: string[];
  duplicates: CrashDuplicate[];
}

export function judgeCrashRun(messages: CrashMessage[], sends: CrashSend[], kills: CrashKill[]): CrashVerdict {
  const byText = new Map(messages.map((message) => [`echo: ${message.text}`, message]));
  const copies = new Map<CrashMessage, CrashSend[]>();
  const misrouted: string[] = [];
  const outOfOrder: string[] = [];
  const latest = new Map<number, CrashMessage>();
  for (const send of sends) {
    const message = byText.get(send.text);
    if (!message || String(send.chatId) !== String(message.chatId) || send.quotes !== message.messageId) {
      misrouted.push(`${JSON.stringify(send.text)} to chat ${send.chatId} quoting ${send.quotes ?? 'nothing'}${message ? ` (its message: chat ${message.chatId}, id ${message.messageId})` : ''}`);
      continue;
    }
    const before = latest.get(message.chatId);
    if (before && before.n > message.n) outOfOrder.push(`chat ${message.chatId}: the reply to ${message.text} after the reply to ${before.text}`);
    else latest.set(message.chatId, message);
    copies.set(message, [...(copies.get(message) ?? []), send]);
  }
  const lost = messages.filter((message) => !copies.has(message)).map((message) => message.text);
  const duplicates = [...copies].flatMap(([message, sent]) => sent.slice(1).map((again) => judgeDuplicate(message, sent[0] as CrashSend, again, kills)));
  return { messages: messages.length, answered: copies.size, lost, outOfOrder, misrouted, duplicates };
}

/** A copy is inside the window when its first copy went out shortly before a kill and it came after that kill. */
function judgeDuplicate(message: CrashMessage, first: CrashSend, again: CrashSend, kills: CrashKill[]): CrashDuplicate {
  const kill = kills.find((k) => first.at <= k.exitedAt);
  const firstBeforeKillMs = kill ? kill.killedAt - first.at : undefined;
  const isInsideWindow = kill !== undefined && kill.killedAt - first.at <= DUPLICATE_WINDOW_MS && again.at >= kill.exitedAt;
  return { text: message.text, firstBeforeKillMs, isInsideWindow };
}

/** The verdict's problems, at most `limit` of each kind listed; all empty when the run kept its guarantees. */
export function crashProblems(verdict: CrashVerdict, limit = 15): Record<string, string[]> {
  const list = (items: string[]) => (items.length > limit ? [...items.slice(0, limit), `… and ${items.length - limit} more`] : items);
  const outside = verdict.duplicates.filter((d) => !d.isInsideWindow).map((d) => `${JSON.stringify(d.text)} (first copy ${describeFirstCopy(d)})`);
  return { lost: list(verdict.lost), outOfOrder: list(verdict.outOfOrder), misrouted: list(verdict.misrouted), duplicatesOutsideWindow: list(outside) };
}

/** When the first copy went out, seen from the kill after it (a send can still land as the process dies). */
export function describeFirstCopy(duplicate: CrashDuplicate): string {
  const ms = duplicate.firstBeforeKillMs;
  if (ms === undefined) return 'after the last kill';
  return ms >= 0 ? `${ms} ms before a kill` : `${-ms} ms after a SIGKILL, as the process died`;
}
