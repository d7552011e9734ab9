/**
 * Platform text made acceptable to `InboundMessage`: NUL removed, lone surrogates replaced by
 * U+FFFD, and cut to the schema's bound (a long message is truncated, never rejected, and never
 * cut between the two halves of a surrogate pair). Blank text counts as no text.
 */
import { MAX_MESSAGE_TEXT } from '@switchboard/shared';

const MAX_DISPLAY_NAME = 200;
const NUL = /\u0000/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** The message text, or undefined when the platform sent nothing readable. */
export function toMessageText(raw: string | null | undefined): string | undefined {
  const text = clip(clean(raw ?? ''), MAX_MESSAGE_TEXT);
  return text.trim() === '' ? undefined : text;
}

/** A sender's name, trimmed and bounded, or undefined when it is blank. */
export function toDisplayName(raw: string | null | undefined): string | undefined {
  const name = clip(clean(raw ?? '').trim(), MAX_DISPLAY_NAME).trim();
  return name === '' ? undefined : name;
}

function clean(text: string): string {
  return text.replace(NUL, '').replace(LONE_SURROGATE, '\uFFFD');
}

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const splitsPair = /[\uD800-\uDBFF]/.test(text.charAt(max - 1));
  return text.slice(0, splitsPair ? max - 1 : max);
}
