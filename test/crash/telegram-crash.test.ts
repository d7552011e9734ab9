/**
 * Crash suite: a real `sb serve` runs a Telegram bot against the fake Bot API while 40 people send
 * 600 numbered messages, and is killed with SIGKILL three times under load (right after a reply went
 * out) and restarted on the same SB_HOME and database. Judged by what the people saw: every message
 * answered, in order per chat, in its own chat, a reply twice only when a kill lost its ack; and each
 * restart polls within 5 s and delivers within 10 s. The numbers are printed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeBotApi, type FakeBotApi } from '../../packages/gateway/src/channels/telegram/testing/fake-bot-api';
import { availableEngines, createMigratedPostgresDatabase } from '../engines';
import { SB_CLI_MAIN, useServerProcesses, type ServerProcess } from '../server-process';
import { failureLogs, formatCrashReport, slowRestarts, timeRestarts, type CrashRestart } from './crash-report';
import { startCrashTraffic } from './crash-traffic';
import { crashProblems, judgeCrashRun, type CrashMessage, type CrashSend } from './crash-verdict';

const SENDERS = 40;
const PER_SENDER = 15;
const TOTAL = SENDERS * PER_SENDER;
/** Each kill strikes right after the fake Bot API saw this: a reply sent (its ack may be lost), or a poll for updates. */
const KILL_MOMENTS = ['a reply went out', 'the bot polled for updates', 'a reply went out'] as const;
const KILLS = KILL_MOMENTS.length;
/** A round of one message per sender: faster than the server answers, so work piles up at every stage. */
const ROUND_MS = 400;
/** How long a kill waits for its share of the replies before it strikes anyway (a stalled run still ends). */
const KILL_WAIT_MS = 30_000;
const ANSWER_TIMEOUT_MS = 60_000;
/** After the last reply: time for a late duplicate to show. */
const SETTLE_MS = 2_000;
const TOKEN = '123456789:AAFakeTokenForTheCrashSuite_012345678';

for (const engine of availableEngines()) {
  describe(`Telegram replies across kill -9, real \`sb serve\` against a fake Bot API [${engine}]`, () => {
    const servers = useServerProcesses();
    const ownerToken = randomBytes(24).toString('hex');
    let home = '';
    let fake: FakeBotApi | undefined;
    let env: Record<string, string> = {};
    let dropDatabase: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      home = mkdtempSync(join(tmpdir(), 'sb-crash-'));
      fake = await startFakeBotApi();
      env = { SB_HOME: home, SB_OWNER_TOKEN: ownerToken };
      if (engine === 'postgres') {
        const database = await createMigratedPostgresDatabase();
        dropDatabase = database.drop;
        env = { ...env, DATABASE_URL: database.url };
      }
    }, 30_000);

    afterAll(async () => {
      await fake?.close();
      await dropDatabase?.();
      if (home) rmSync(home, { recursive: true, force: true });
    }, 30_000);

    const serve = (name: string) => servers.start(`${engine}-${name}`, env, [SB_CLI_MAIN, 'serve', '--port', '0']);

    it('answers 600 messages from 40 senders through 3 kills: none lost, out of order or misrouted, repeated only when a kill lost the ack', async () => {
      const bot = fake as FakeBotApi;
      const startedAt = Date.now();
      let server = await serve('first');
      await server.client(ownerToken).channels.add({ channel: 'telegram', token: TOKEN, apiRoot: bot.apiRoot });
      const traffic = startCrashTraffic(bot, { senders: SENDERS, perSender: PER_SENDER, roundMs: ROUND_MS, firstChat: 700_000 });
      const restarts: CrashRestart[] = [];
      const unexpectedExits: string[] = [];
      for (const [i, moment] of KILL_MOMENTS.entries()) {
        await waitFor(() => bot.sent.length >= ((i + 1) * TOTAL) / (KILLS + 1) || !server.isRunning, KILL_WAIT_MS);
        await waitForMoment(bot, moment);
        if (!server.isRunning) unexpectedExits.push(server.describe().slice(-2000));
        const killedAt = Date.now();
        const [sentBefore, unanswered] = [bot.sent.length, countUnanswered(traffic.messages, bot)];
        await server.kill('SIGKILL');
        const exitedAt = Date.now();
        server = await serve(`restart-${i + 1}`);
        restarts.push({ moment, killedAt, exitedAt, listeningAt: Date.now(), sentBefore, unanswered, server });
      }
      await traffic.done;
      await waitFor(() => countUnanswered(traffic.messages, bot) === 0 || !server.isRunning, ANSWER_TIMEOUT_MS, 50);
      const answeredAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      if (!server.isRunning) unexpectedExits.push(server.describe().slice(-2000));

      const verdict = judgeCrashRun(traffic.messages, sendsOf(bot), restarts);
      const timings = timeRestarts(restarts, bot);
      const pending = await pendingReplies(server, ownerToken);
      console.log(formatCrashReport({ engine, senders: SENDERS, verdict, restarts, timings, startedAt, answeredAt, pending, conflicts: bot.conflicts }));
      const problems = { ...crashProblems(verdict), slowRestarts: slowRestarts(timings), unexpectedExits };
      if (Object.values(problems).some((list) => list.length > 0)) console.log(failureLogs(restarts, timings, server));
      expect({ messages: verdict.messages, ...problems })
        .toEqual({ messages: TOTAL, lost: [], outOfOrder: [], misrouted: [], duplicatesOutsideWindow: [], slowRestarts: [], unexpectedExits: [] });
    }, 175_000);
  });
}

/** Polls `isDone` (often, so a kill strikes right after its moment) until it holds or `timeoutMs` passed. */
async function waitFor(isDone: () => boolean, timeoutMs: number, intervalMs = 1): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!isDone() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, intervalMs));
}

async function waitForMoment(fake: FakeBotApi, moment: (typeof KILL_MOMENTS)[number]): Promise<void> {
  const seen = moment === 'a reply went out' ? fake.sentAt : fake.polledAt;
  const before = seen.length;
  await waitFor(() => seen.length > before, 5_000);
}

function sendsOf(fake: FakeBotApi): CrashSend[] {
  return fake.sent.map((sent, i) => ({ chatId: sent.chat_id, text: sent.text, quotes: sent.reply_parameters?.message_id, at: fake.sentAt[i] ?? 0 }));
}

function countUnanswered(messages: CrashMessage[], fake: FakeBotApi): number {
  const answered = new Set(fake.sent.map((sent) => `${sent.chat_id}/${sent.text}`));
  return messages.filter((message) => !answered.has(`${message.chatId}/echo: ${message.text}`)).length;
}

/** How many replies the outbox still holds back (or why it could not be read). */
async function pendingReplies(server: ServerProcess, ownerToken: string): Promise<number | string> {
  return server.client(ownerToken).outbox.list({ status: 'pending', limit: 1000 }).then((items) => items.length, (error: unknown) => String(error));
}
