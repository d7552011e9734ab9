/**
 * What a baileys message says: its text (body or media caption) or a placeholder naming the media,
 * and its context info (mentions, the quoted message). Wrappers (disappearing, view-once, document
 * with caption) are opened first. Anything not listed here — protocol messages (revokes, edits),
 * reactions, poll votes, `editedMessage` — has no content and maps to nothing.
 */
import type { proto } from '@whiskeysockets/baileys' with { 'resolution-mode': 'import' };

const WRAPPERS = [
  'ephemeralMessage',
  'viewOnceMessage',
  'viewOnceMessageV2',
  'viewOnceMessageV2Extension',
  'documentWithCaptionMessage',
] as const;
const MAX_WRAPPING = 5;

/** The message inside any wrappers. */
export function unwrapContent(content: proto.IMessage): proto.IMessage {
  let current = content;
  for (let depth = 0; depth < MAX_WRAPPING; depth++) {
    const inner = WRAPPERS.map((wrapper) => current[wrapper]?.message).find((message) => message);
    if (!inner) return current;
    current = inner;
  }
  return current;
}

/** The text a person typed, or the caption of their media. */
export function textOf(content: proto.IMessage): string | null | undefined {
  return (
    content.conversation ??
    content.extendedTextMessage?.text ??
    content.imageMessage?.caption ??
    content.videoMessage?.caption ??
    content.documentMessage?.caption
  );
}

/** A placeholder naming the media, for a message without text. */
export function describeMedia(content: proto.IMessage): string | undefined {
  const { imageMessage, videoMessage, audioMessage, documentMessage } = content;
  if (imageMessage) return '[photo]';
  if (videoMessage) return videoMessage.gifPlayback ? '[animation]' : '[video]';
  if (content.ptvMessage) return '[video message]';
  if (audioMessage) return audioMessage.ptt ? '[voice message]' : '[audio]';
  if (documentMessage) return documentMessage.fileName ? `[document: ${documentMessage.fileName}]` : '[document]';
  if (content.stickerMessage) return '[sticker]';
  if (content.contactMessage || content.contactsArrayMessage) return '[contact]';
  if (content.locationMessage || content.liveLocationMessage) return '[location]';
  if (content.pollCreationMessage || content.pollCreationMessageV2 || content.pollCreationMessageV3) return '[poll]';
  return undefined;
}

/** The context info of whichever part carries it. */
export function contextInfoOf(content: proto.IMessage): proto.IContextInfo | undefined {
  const parts = [
    content.extendedTextMessage,
    content.imageMessage,
    content.videoMessage,
    content.audioMessage,
    content.documentMessage,
    content.stickerMessage,
    content.contactMessage,
    content.locationMessage,
  ];
  return parts.find((part) => part?.contextInfo)?.contextInfo ?? undefined;
}
