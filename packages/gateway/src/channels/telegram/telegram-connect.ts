/**
 * A Telegram bot account over grammY long polling (the only file that value-imports grammY).
 * grammY runs one `getUpdates` at a time; when polling fails (a 409 conflict, the network) we wait
 * for that loop to end before starting another, with backoff and jitter. A rejected token (401) is
 * final. Each update is mapped and posted to the API, retried while the API is away, before the
 * next is taken (the API dedupes, so a redelivered update is answered once).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { backOff } from 'exponential-backoff';
import type { Bot as GrammyBot } from 'grammy';
import type { Connect } from '../../gateway';
import type { ChannelAdapter } from '../channel-adapter';
import { mapTelegramUpdate } from './telegram-mapper';
import { sendTelegramReply, sendTelegramTyping } from './telegram-sender';

const RESTART = { startingDelay: 1000, maxDelay: 60_000, jitter: 'full' as const };

export const connectTelegram: Connect = async (account, { log, signal }) => {
  if (!account.token) throw new Error(`Telegram account ${account.accountId} has no bot token`);
  const { Bot } = await import('grammy');
  const bot = new Bot(account.token, account.apiRoot ? { client: { apiRoot: account.apiRoot } } : {});
  // grammY retries getMe while the Bot API is unreachable: a stopping gateway must not wait for it.
  await bot.init(isGrammySignal(signal) ? signal : undefined);
  const me = { id: bot.botInfo.id, username: bot.botInfo.username };
  let stopped = false;
  /** Ends a restart delay at once when the adapter stops. */
  const stopping = new AbortController();
  let polling: Promise<void> = Promise.resolve();

  const adapter: ChannelAdapter = {
    channel: 'telegram',
    accountId: account.accountId,

    async start(onMessage) {
      bot.use(async (ctx) => {
        const message = mapTelegramUpdate(ctx.update, me);
        if (!message) return;
        await backOff(() => onMessage(message), {
          ...RESTART, numOfAttempts: 10,
          retry: (error: unknown) => {
            log(`gateway: telegram update ${ctx.update.update_id} not accepted yet: ${String(error)}`);
            return !stopped;
          },
        });
      });
      bot.catch((error) => log(`gateway: telegram update ${error.ctx.update.update_id} was dropped: ${String(error.error)}`));
      await new Promise<void>((started) => {
        // A loop that ends before polling ever started (stopped, token rejected) ends the wait too.
        polling = poll(started).finally(started);
      });
    },

    send: (item) => sendTelegramReply(bot.api, item),
    typing: (chatId, threadId) => sendTelegramTyping(bot.api, chatId, threadId),

    async stop() {
      stopped = true;
      stopping.abort();
      await bot.stop();
      await polling;
    },
  };

  /** Long polling until stopped; a failed loop is restarted only after it has ended. */
  async function poll(started: () => void): Promise<void> {
    let attempt = 0;
    while (!stopped) {
      try {
        await bot.start({ allowed_updates: ['message'], onStart: () => { attempt = 0; started(); } });
      } catch (error) {
        const code = (error as { error_code?: unknown }).error_code;
        if (code === 401) {
          log(`gateway: telegram rejected the token of bot ${account.accountId} (401); this account stays offline`);
          started();
          return;
        }
        attempt++;
        const delay = Math.min(RESTART.maxDelay, RESTART.startingDelay * 2 ** (attempt - 1)) * Math.random();
        log(`gateway: telegram polling of bot ${account.accountId} stopped (${String(error)}); restarting in ${Math.round(delay)} ms`);
        await sleep(delay, undefined, { signal: stopping.signal }).catch(() => undefined);
      }
    }
  }

  return adapter;
};

/** grammY types signals with its own AbortSignal shim; the platform's signal is one at run time. */
function isGrammySignal(signal: unknown): signal is Parameters<GrammyBot['init']>[0] {
  return signal instanceof AbortSignal;
}
