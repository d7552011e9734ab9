/**
 * Our replies as Bot API calls: split at Telegram's 4096-character limit, sent into the same forum
 * topic, the first part as a reply to the message that started the turn (sent anyway if that
 * message is gone). A refusal that will never change (bot blocked, chat gone) is permanent.
 */
import type { Api } from 'grammy';
import { PermanentSendError, type OutgoingReply } from '../channel-adapter';
import { CHANNEL_TEXT_LIMITS, splitText } from '../../delivery/split-text';

export async function sendTelegramReply(api: Api, item: OutgoingReply): Promise<void> {
  const thread = item.threadId === null ? {} : { message_thread_id: Number(item.threadId) };
  const parts = splitText(item.text, CHANNEL_TEXT_LIMITS.telegram);
  for (const [index, part] of parts.entries()) {
    const reply = index === 0 && item.replyTo !== null && /^\d+$/.test(item.replyTo)
      ? { reply_parameters: { message_id: Number(item.replyTo), allow_sending_without_reply: true } }
      : {};
    try {
      await api.sendMessage(item.chatId, part, { ...thread, ...reply });
    } catch (error) {
      throw classify(error);
    }
  }
}

export async function sendTelegramTyping(api: Api, chatId: string, threadId: string | null): Promise<void> {
  await api.sendChatAction(chatId, 'typing', threadId === null ? {} : { message_thread_id: Number(threadId) });
}

/** 403 (blocked, kicked) and 400 "chat not found" never succeed later; everything else may. */
function classify(error: unknown): Error {
  const code = (error as { error_code?: unknown }).error_code;
  const description = String((error as { description?: unknown }).description ?? (error instanceof Error ? error.message : error));
  if (code === 403 || (code === 400 && /chat not found|user is deactivated/i.test(description))) {
    return new PermanentSendError(`Telegram refused: ${description}`, { cause: error });
  }
  return error instanceof Error ? error : new Error(description);
}
