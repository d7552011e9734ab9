/**
 * Our replies as baileys calls: split at WhatsApp's 4096-character limit and sent as plain text to
 * the chat's JID (WhatsApp has no threads; the reply is not quoted, as quoting needs the original
 * message). A chat id that is not a person's or a group's JID, and a refusal WhatsApp will repeat
 * (not authorized, forbidden, not found: we left the group, it is gone), are permanent.
 */
import type { WASocket } from '@whiskeysockets/baileys' with { 'resolution-mode': 'import' };
import { PermanentSendError, type OutgoingReply } from '../channel-adapter';
import { CHANNEL_TEXT_LIMITS, splitText } from '../../delivery/split-text';
import { isGroupJid, isPersonJid, normalizeJid } from './whatsapp-jid';

/** Codes (a Boom's status, or the `code` of an error stanza, which baileys puts in `data`) that never change. */
const PERMANENT_CODES = new Set([401, 403, 404]);

export async function sendWhatsAppReply(sock: Pick<WASocket, 'sendMessage'>, item: OutgoingReply): Promise<void> {
  const jid = addressOf(item.chatId);
  for (const part of splitText(item.text, CHANNEL_TEXT_LIMITS.whatsapp)) {
    try {
      await sock.sendMessage(jid, { text: part });
    } catch (error) {
      throw classify(error);
    }
  }
}

export async function sendWhatsAppTyping(sock: Pick<WASocket, 'sendPresenceUpdate'>, chatId: string): Promise<void> {
  await sock.sendPresenceUpdate('composing', addressOf(chatId));
}

function addressOf(chatId: string): string {
  const jid = normalizeJid(chatId);
  if (jid === undefined || !(isPersonJid(jid) || isGroupJid(jid))) {
    throw new PermanentSendError(`WhatsApp cannot send to ${chatId}: not a person's or a group's JID`);
  }
  return jid;
}

function classify(error: unknown): Error {
  const { output, data } = (error ?? {}) as { output?: { statusCode?: unknown }; data?: unknown };
  const message = error instanceof Error ? error.message : String(error);
  if ([output?.statusCode, data].some((code) => typeof code === 'number' && PERMANENT_CODES.has(code))) {
    return new PermanentSendError(`WhatsApp refused: ${message}`, { cause: error });
  }
  return error instanceof Error ? error : new Error(message);
}
