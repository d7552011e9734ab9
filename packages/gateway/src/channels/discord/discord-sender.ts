/**
 * Our replies as discord.js REST calls. A guild reply goes to its thread, else its channel; a DM's
 * chat id is the person's user id, so it goes through their DM channel (opened once, then cached).
 * Split at Discord's 2000-character limit, the first part as a reply to the message that started
 * the turn (sent anyway if it is gone); agent text never pings @everyone, roles or users. A refusal
 * that will never change (DMs closed, channel gone, access or permission lost) is permanent.
 */
import type { Client, SendableChannels } from 'discord.js';
import { PermanentSendError, type OutgoingReply } from '../channel-adapter';
import { CHANNEL_TEXT_LIMITS, splitText } from '../../delivery/split-text';

/** Discord JSON error codes that never succeed later (RESTJSONErrorCodes). */
const PERMANENT_CODES: ReadonlyMap<unknown, string> = new Map([
  [10003, 'unknown channel'],
  [10013, 'unknown user'],
  [50001, 'missing access'],
  [50007, 'cannot send messages to this user'],
  [50013, 'missing permissions'],
]);
const UNKNOWN_CHANNEL = 10003;

export async function sendDiscordReply(client: Client, item: OutgoingReply): Promise<void> {
  try {
    const channel = await resolveChannel(client, item.chatId, item.threadId);
    for (const [index, part] of splitText(item.text, CHANNEL_TEXT_LIMITS.discord).entries()) {
      const reply = index === 0 && item.replyTo !== null ? { reply: { messageReference: item.replyTo, failIfNotExists: false } } : {};
      await channel.send({ content: part, allowedMentions: { parse: [], repliedUser: true }, ...reply });
    }
  } catch (error) {
    throw classify(error, item.threadId ?? item.chatId);
  }
}

export async function sendDiscordTyping(client: Client, chatId: string, threadId: string | null): Promise<void> {
  await (await resolveChannel(client, chatId, threadId)).sendTyping();
}

/**
 * Snowflakes are unique across Discord, so an id is either a channel or a user: a user we have
 * seen (or a channel id Discord does not know) is a DM. Cached channels cost no request.
 */
async function resolveChannel(client: Client, chatId: string, threadId: string | null): Promise<SendableChannels> {
  if (threadId === null && client.users.cache.has(chatId)) return client.users.createDM(chatId);
  const channel = await client.channels.fetch(threadId ?? chatId).catch((error: unknown) => {
    if (threadId === null && codeOf(error) === UNKNOWN_CHANNEL) return client.users.createDM(chatId);
    throw error;
  });
  if (!channel?.isSendable()) throw new PermanentSendError(`Discord channel ${threadId ?? chatId} does not take messages`);
  return channel;
}

function classify(error: unknown, target: string): Error {
  const reason = PERMANENT_CODES.get(codeOf(error));
  if (reason !== undefined) {
    return new PermanentSendError(`Discord refused to send to ${target} (${reason}): ${messageOf(error)}`, { cause: error });
  }
  return error instanceof Error ? error : new Error(messageOf(error));
}

/** A DiscordAPIError's JSON error code (discord.js is not value-imported here, so read it by shape). */
function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
