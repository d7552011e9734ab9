/**
 * A Discord bot account over discord.js (the only file that value-imports it). `start` listens,
 * logs in and waits for `clientReady`; discord.js resumes or reconnects its websocket by itself, and
 * we log a close it gives up on (a reset token). Discord withholds guild text without the Message
 * Content intent, so start fails loudly when it is off. Messages are posted in arrival order, each
 * retried while the API is away (the API dedupes, so a redelivered message is answered once).
 */
import { backOff } from 'exponential-backoff';
import type { Client, CloseEvent, Message } from 'discord.js';
import type { GatewayAccount, InboundMessage } from '@switchboard/shared';
import type { Connect } from '../../gateway';
import type { ChannelAdapter } from '../channel-adapter';
import { mapDiscordMessage } from './discord-mapper';
import { sendDiscordReply, sendDiscordTyping } from './discord-sender';

const RETRY = { startingDelay: 1000, maxDelay: 60_000, jitter: 'full' as const, numOfAttempts: 10 };

export const connectDiscord: Connect = async (account, { log }) => {
  const token = account.token;
  if (!token) throw new Error(`Discord account ${account.accountId} has no bot token`);
  const client = createDiscordClient(account);
  const adapter = createDiscordAdapter(client, account, log);
  return {
    ...adapter,
    async start(onMessage) {
      await adapter.start(onMessage);
      try {
        await requireMessageContent(await logIn(client, token, account.accountId), account.accountId);
      } catch (error) {
        await adapter.stop();
        throw error;
      }
    },
  };
};

/** A client with the intents and partials the adapter needs; REST goes to the account's apiRoot if set. */
export function createDiscordClient(account: GatewayAccount): Client {
  // Not `await import()`: discord.js ships separate typings for import and require, and the
  // mapper's `Message` is the require one; requiring it here keeps one set and still loads lazily.
  const { Client, GatewayIntentBits, Partials }: typeof import('discord.js') = require('discord.js');
  return new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.DirectMessages, GatewayIntentBits.MessageContent],
    // DM channels are not cached at login; without this partial their first messages are dropped.
    partials: [Partials.Channel],
    rest: account.apiRoot ? { api: account.apiRoot } : {},
  });
}

/** The adapter over a constructed client: `start` listens but does not log in (connectDiscord does). */
export function createDiscordAdapter(client: Client, account: GatewayAccount, log: (line: string) => void): ChannelAdapter {
  let stopped = false;
  let posting = Promise.resolve();
  let onMessageCreate: ((message: Message) => void) | undefined;
  const onShardDisconnect = (event: CloseEvent) =>
    log(`gateway: discord bot ${account.accountId} was disconnected for good (close code ${event.code}); restart the gateway once fixed`);

  async function post(message: Message, onMessage: (message: InboundMessage) => Promise<void>): Promise<void> {
    try {
      const mapped = mapDiscordMessage(message, message.client.user.id);
      if (!mapped) return;
      await backOff(() => onMessage(mapped), {
        ...RETRY,
        retry: (error: unknown) => {
          log(`gateway: discord message ${message.id} not accepted yet: ${String(error)}`);
          return !stopped;
        },
      });
    } catch (error) {
      log(`gateway: discord message ${message.id} was dropped: ${String(error)}`);
    }
  }

  return {
    channel: 'discord',
    accountId: account.accountId,

    async start(onMessage) {
      onMessageCreate = (message) => {
        posting = posting.then(() => post(message, onMessage));
      };
      client.on('messageCreate', onMessageCreate);
      client.on('shardDisconnect', onShardDisconnect);
    },

    send: (item) => sendDiscordReply(client, item),
    typing: (chatId, threadId) => sendDiscordTyping(client, chatId, threadId),

    async stop() {
      stopped = true;
      if (onMessageCreate) client.off('messageCreate', onMessageCreate);
      client.off('shardDisconnect', onShardDisconnect);
      await client.destroy();
    },
  };
}

/** Logs in and waits until discord.js has the guilds; a disallowed intent is explained. */
async function logIn(client: Client, token: string, accountId: string): Promise<Client<true>> {
  const ready = new Promise<Client<true>>((resolve) => client.once('clientReady', resolve));
  try {
    await client.login(token);
  } catch (error) {
    // Discord closes with 4014, which discord.js reports as "Used disallowed intents".
    if (error instanceof Error && /disallowed intents/i.test(error.message)) throw missingIntent(accountId, error);
    throw new Error(`Discord bot ${accountId} could not log in: ${String(error)}`, { cause: error });
  }
  return ready;
}

/** A bot in under 100 servers gets the "limited" flag when the toggle is on; either will do. */
async function requireMessageContent(client: Client<true>, accountId: string): Promise<void> {
  const application = await client.application.fetch();
  if (!application.flags.any(['GatewayMessageContent', 'GatewayMessageContentLimited'])) throw missingIntent(accountId);
}

function missingIntent(accountId: string, cause?: unknown): Error {
  return new Error(
    `Discord bot ${accountId} cannot read messages without the Message Content intent: turn on "Message Content Intent" ` +
      'in the Discord developer portal (your application → Bot → Privileged Gateway Intents), then restart the gateway',
    { cause },
  );
}
