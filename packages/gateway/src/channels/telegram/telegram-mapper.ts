/**
 * One Telegram update → an `InboundMessage`, or null when it is not a new message from a person.
 * Only `message` updates map. Edited messages are ignored: the original was already answered, and
 * a second turn for a corrected typo would reply twice. Also ignored: bots (ourselves included),
 * messages sent on behalf of a chat (anonymous admins, linked channel posts), service messages.
 * A private chat's id is the sender's id; a group's title names it; a forum topic is the thread.
 */
import type { InboundMessage } from '@switchboard/shared';
import type { Chat, Message, MessageEntity, Update, User } from 'grammy/types';
import { toDisplayName, toMessageText } from '../inbound-text';

/** The bot's own identity, as `getMe` reports it. */
export interface TelegramBotIdentity {
  id: number;
  username: string;
}

const MEDIA_LABELS = [
  ['photo', '[photo]'],
  ['animation', '[animation]'],
  ['video', '[video]'],
  ['video_note', '[video message]'],
  ['voice', '[voice message]'],
  ['audio', '[audio]'],
  ['sticker', '[sticker]'],
  ['contact', '[contact]'],
  ['location', '[location]'],
  ['poll', '[poll]'],
] as const satisfies ReadonlyArray<readonly [keyof Message, string]>;

/** Maps a `message` update; every other kind of update gives null. */
export function mapTelegramUpdate(update: Update, me: TelegramBotIdentity): InboundMessage | null {
  const message = update.message;
  const from = message?.from;
  if (!message || !from || from.is_bot || message.sender_chat) return null;
  const text = toMessageText(message.text ?? message.caption) ?? describeMedia(message);
  if (text === undefined) return null;
  const senderId = String(from.id);
  const isDirect = message.chat.type === 'private';
  return {
    channel: 'telegram',
    accountId: String(me.id),
    chat: isDirect ? { id: senderId, type: 'direct' } : groupOf(message.chat),
    sender: { id: senderId, displayName: nameOf(from) },
    thread: topicOf(message),
    messageId: String(message.message_id),
    text,
    mentioned: isMentioned(message, me),
  };
}

/** A group or supergroup, named by its current title (which then names its contact). */
function groupOf(chat: Chat): NonNullable<InboundMessage['chat']> {
  const title = toDisplayName('title' in chat ? chat.title : undefined);
  return { id: String(chat.id), type: 'group', ...(title === undefined ? {} : { title }) };
}

function topicOf(message: Message): { id: string } | undefined {
  const topicId = message.is_topic_message ? message.message_thread_id : undefined;
  return topicId === undefined ? undefined : { id: String(topicId) };
}

function nameOf(user: User): string | undefined {
  const fullName = [user.first_name, user.last_name].filter(Boolean).join(' ');
  return toDisplayName(fullName) ?? toDisplayName(user.username);
}

function describeMedia(message: Message): string | undefined {
  if (message.document && !message.animation) {
    return message.document.file_name ? `[document: ${message.document.file_name}]` : '[document]';
  }
  return MEDIA_LABELS.find(([field]) => message[field] !== undefined)?.[1];
}

function isMentioned(message: Message, me: TelegramBotIdentity): boolean {
  const text = message.text ?? message.caption ?? '';
  const entities = message.entities ?? message.caption_entities ?? [];
  return entities.some((entity) => isMentionOf(entity, text, me)) || isReplyToBot(message, me);
}

function isMentionOf(entity: MessageEntity, text: string, me: TelegramBotIdentity): boolean {
  if (entity.type === 'text_mention') return entity.user.id === me.id;
  const word = text.slice(entity.offset, entity.offset + entity.length).toLowerCase();
  const handle = `@${me.username.toLowerCase()}`;
  if (entity.type === 'mention') return word === handle;
  return entity.type === 'bot_command' && word.endsWith(handle);
}

/** In a forum topic every message "replies" to the topic's creation message; that is no reply. */
function isReplyToBot(message: Message, me: TelegramBotIdentity): boolean {
  const original = message.reply_to_message;
  return original?.from?.id === me.id && original.forum_topic_created === undefined;
}
