/**
 * One baileys `WAMessage` from `messages.upsert` → an `InboundMessage`, or null when it is not a new
 * message from a person. Ignored: our own (`key.fromMe`), status broadcasts, broadcast lists,
 * newsletters, stubs without content, reactions and protocol messages. Edits are ignored too: the
 * original was already answered, and a second turn for a corrected typo would reply twice.
 * A group (`@g.us`) is the chat and `key.participant` the sender; a direct chat's id is the sender's.
 */
import type { InboundMessage } from '@switchboard/shared';
import type { WAMessage, WAMessageKey } from '@whiskeysockets/baileys' with { 'resolution-mode': 'import' };
import { toDisplayName, toMessageText } from '../inbound-text';
import { contextInfoOf, describeMedia, textOf, unwrapContent } from './whatsapp-content';
import { isGroupJid, isPersonJid, normalizeJid, toPersonId } from './whatsapp-jid';

/** Our own linked account, as `sock.user` reports it. */
export interface WhatsAppAccount {
  id: string;
  lid?: string | undefined;
}

type Place = { chat: NonNullable<InboundMessage['chat']>; senderId: string };

/** Maps a message received by the account `me`. */
export function mapWhatsAppMessage(message: WAMessage, me: WhatsAppAccount): InboundMessage | null {
  const { key } = message;
  const place = placeOf(key);
  if (key.fromMe || !key.id || !message.message || !place) return null;
  const content = unwrapContent(message.message);
  const text = toMessageText(textOf(content)) ?? describeMedia(content);
  if (text === undefined) return null;
  return {
    channel: 'whatsapp',
    accountId: normalizeJid(me.id),
    chat: place.chat,
    sender: { id: place.senderId, displayName: toDisplayName(message.pushName) },
    messageId: key.id,
    text,
    mentioned: isMentioned(content, ownIdsOf(me)),
  };
}

function placeOf(key: WAMessageKey): Place | undefined {
  const chatId = normalizeJid(key.remoteJid);
  if (chatId === undefined) return undefined;
  if (isGroupJid(chatId)) {
    const senderId = toPersonId(key.participant, key.participantAlt);
    return senderId === undefined ? undefined : { chat: { id: chatId, type: 'group' }, senderId };
  }
  if (!isPersonJid(chatId)) return undefined;
  const senderId = toPersonId(key.remoteJid, key.remoteJidAlt);
  return senderId === undefined ? undefined : { chat: { id: senderId, type: 'direct' }, senderId };
}

function ownIdsOf(me: WhatsAppAccount): Set<string> {
  return new Set([me.id, me.lid].map(normalizeJid).filter((jid) => jid !== undefined));
}

/** An @-mention of our JID or LID, or a reply quoting one of our messages. */
function isMentioned(content: NonNullable<WAMessage['message']>, ownIds: Set<string>): boolean {
  const context = contextInfoOf(content);
  const isOwn = (jid: string | null | undefined) => ownIds.has(normalizeJid(jid) ?? '');
  const quotesUs = Boolean(context?.stanzaId) && isOwn(context?.participant);
  return quotesUs || (context?.mentionedJid ?? []).some(isOwn);
}
