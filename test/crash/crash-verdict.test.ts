import { slowRestarts, timeRestarts } from './crash-report';
import {
  crashProblems, describeFirstCopy, DUPLICATE_WINDOW_MS, judgeCrashRun, type CrashDuplicate, type CrashMessage, type CrashSend,
} from './crash-verdict';

const messages: CrashMessage[] = [
  { chatId: 1, messageId: 11, n: 0, text: 'c1 #0' },
  { chatId: 1, messageId: 12, n: 1, text: 'c1 #1' },
  { chatId: 2, messageId: 13, n: 0, text: 'c2 #0' },
];
const reply = (message: CrashMessage, at: number, chatId: number = message.chatId): CrashSend =>
  ({ chatId: String(chatId), text: `echo: ${message.text}`, quotes: message.messageId, at });
const [a0, a1, b0] = messages as [CrashMessage, CrashMessage, CrashMessage];
const kill = { killedAt: 10_000, exitedAt: 10_010 };
const clean = { lost: [], outOfOrder: [], misrouted: [], duplicatesOutsideWindow: [] };

describe('the crash run verdict', () => {
  it('passes a run where every message is answered once, in order, in its own chat', () => {
    const verdict = judgeCrashRun(messages, [reply(a0, 1), reply(b0, 2), reply(a1, 3)], [kill]);
    expect(verdict).toMatchObject({ messages: 3, answered: 3, duplicates: [] });
    expect(crashProblems(verdict)).toEqual(clean);
  });

  it('finds a lost reply, a reply out of order and a reply in the wrong chat', () => {
    const verdict = judgeCrashRun(messages, [reply(a1, 1), reply(a0, 2), reply(b0, 3, 1)], []);
    expect(crashProblems(verdict)).toEqual({
      lost: ['c2 #0'],
      outOfOrder: ['chat 1: the reply to c1 #0 after the reply to c1 #1'],
      misrouted: ['"echo: c2 #0" to chat 1 quoting 13 (its message: chat 2, id 13)'],
      duplicatesOutsideWindow: [],
    });
  });

  it('takes a reply that quotes another message for misrouted', () => {
    const verdict = judgeCrashRun([a0], [{ ...reply(a0, 1), quotes: 12 }], []);
    expect(verdict.misrouted).toHaveLength(1);
    expect(verdict.lost).toEqual(['c1 #0']);
  });

  it('allows a reply again after a kill only when its first copy went out just before that kill', () => {
    const justBefore = judgeCrashRun([a0], [reply(a0, kill.killedAt - 5), reply(a0, kill.exitedAt + 500)], [kill]);
    expect(justBefore.duplicates).toEqual([{ text: 'c1 #0', firstBeforeKillMs: 5, isInsideWindow: true }]);
    expect(crashProblems(justBefore)).toEqual(clean);

    const asItDied = judgeCrashRun([a0], [reply(a0, kill.killedAt + 5), reply(a0, kill.exitedAt + 500)], [kill]);
    expect(asItDied.duplicates).toEqual([{ text: 'c1 #0', firstBeforeKillMs: -5, isInsideWindow: true }]);
    expect(describeFirstCopy(asItDied.duplicates[0] as CrashDuplicate)).toBe('5 ms after a SIGKILL, as the process died');

    const longBefore = judgeCrashRun([a0], [reply(a0, kill.killedAt - DUPLICATE_WINDOW_MS - 1), reply(a0, kill.exitedAt + 500)], [kill]);
    expect(crashProblems(longBefore).duplicatesOutsideWindow).toEqual([`"c1 #0" (first copy ${DUPLICATE_WINDOW_MS + 1} ms before a kill)`]);

    const beforeTheKill = judgeCrashRun([a0], [reply(a0, kill.killedAt - 5), reply(a0, kill.killedAt - 1)], [kill]);
    expect(beforeTheKill.duplicates[0]?.isInsideWindow).toBe(false);

    const noKill = judgeCrashRun([a0], [reply(a0, 1), reply(a0, 2)], []);
    expect(crashProblems(noKill).duplicatesOutsideWindow).toEqual(['"c1 #0" (first copy after the last kill)']);
  });

  it('counts a repeated earlier reply after a later one as out of order', () => {
    const verdict = judgeCrashRun(messages, [reply(a0, kill.killedAt - 5), reply(a1, kill.exitedAt + 1), reply(a0, kill.exitedAt + 2), reply(b0, 1)], [kill]);
    expect(verdict.outOfOrder).toHaveLength(1);
    expect(verdict.duplicates).toHaveLength(1);
  });
});

describe('the restart timings', () => {
  const restart = (killedAt: number, exitedAt: number, listeningAt: number) =>
    ({ killedAt, exitedAt, listeningAt, moment: 'a reply went out', sentBefore: 0, unanswered: 0, server: undefined as never });

  it('counts a delivery in the same millisecond as the next kill as the restarted server\'s own', () => {
    const restarts = [restart(1_000, 1_010, 1_500), restart(2_000, 2_010, 2_500)];
    const timings = timeRestarts(restarts, { polledAt: [1_600], sentAt: [900, 2_000, 2_700] });
    expect(timings).toEqual([{ pollMs: 100, deliveryMs: 500 }, { pollMs: undefined, deliveryMs: 200 }]);
    expect(slowRestarts(timings)).toEqual(['restart 2: first getUpdates never ms, first delivery 200 ms after listening']);
  });

  it('finds a restart that delivered nothing before the next kill', () => {
    const timings = timeRestarts([restart(1_000, 1_010, 1_500), restart(2_000, 2_010, 2_500)], { polledAt: [1_600, 2_600], sentAt: [2_001, 2_600] });
    expect(slowRestarts(timings)).toEqual(['restart 1: first getUpdates 100 ms, first delivery never ms after listening']);
  });
});
