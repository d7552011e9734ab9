/**
 * One discord.js `Message` → an `InboundMessage`, or null when it is not a new message from a person.
 * Edited messages are ignored (the original was already answered; a second turn would reply twice),
 * as are bots and webhooks (ourselves included) and system messages (joins, pins, thread created).
 * A DM's chat id is the author's id. In a thread the chat is the parent channel and the thread
 * channel is the thread; a chat is titled `<server> #<channel>`. Without the Message Content intent guild text arrives empty → null.
 */
import type { InboundMessage } from '@switchboard/shared';
import type { Attachment, Message } from 'discord.js';
import { toDisplayName, toMessageText } from '../inbound-text';

/** Maps a message the bot `botId` received. */
export function mapDiscordMessage(message: Message, botId: string): InboundMessage | null {
  if (message.author.bot || message.system || message.editedTimestamp !== null) return null;
  const text = toMessageText(message.content) ?? describeMedia(message);
  if (text === undefined) return null;
  const displayName = message.member?.displayName ?? message.author.displayName;
  return {
    channel: 'discord',
    accountId: botId,
    ...placeOf(message),
    sender: { id: message.author.id, displayName: toDisplayName(displayName) },
    messageId: message.id,
    text,
    mentioned: isMentioned(message, botId),
  };
}

/** Mentioning the bot's own managed role (Discord offers it next to the bot) counts too. */
function isMentioned(message: Message, botId: string): boolean {
  const { users, roles, repliedUser } = message.mentions;
  return users.has(botId) || repliedUser?.id === botId || roles.some((role) => role.tags?.botId === botId);
}

function placeOf(message: Message): Pick<InboundMessage, 'chat' | 'thread'> {
  if (!message.inGuild()) return { chat: { id: message.author.id, type: 'direct' } };
  const channel = message.channel;
  if (channel.isThread() && channel.parentId !== null) {
    return { chat: groupOf(channel.parentId, message.guild.name, channel.parent?.name), thread: { id: channel.id } };
  }
  return { chat: groupOf(message.channelId, message.guild.name, 'name' in channel ? channel.name : undefined) };
}

/** A guild channel, titled `<server> #<channel>` when both names are known (the title names its contact). */
function groupOf(id: string, guildName: string, channelName: string | undefined): NonNullable<InboundMessage['chat']> {
  const title = channelName ? toDisplayName(`${guildName} #${channelName}`) : undefined;
  return { id, type: 'group', ...(title === undefined ? {} : { title }) };
}

function describeMedia(message: Message): string | undefined {
  const isVoice = message.flags.has('IsVoiceMessage');
  const labels = [
    ...message.attachments.map((attachment) => (isVoice ? '[voice message]' : describeAttachment(attachment))),
    ...message.stickers.map(() => '[sticker]'),
  ];
  return labels.length === 0 ? undefined : labels.join(' ');
}

function describeAttachment(attachment: Attachment): string {
  const type = attachment.contentType ?? '';
  if (type.startsWith('image/')) return '[photo]';
  if (type.startsWith('video/')) return '[video]';
  if (type.startsWith('audio/')) return '[audio]';
  return `[document: ${attachment.name}]`;
}
