/**
 * Text fields as Postgres stores them faithfully: no NUL (a `text` column rejects it) and no lone
 * UTF-16 surrogate (it would be stored as U+FFFD, so two different ids could become one; `jsonb`
 * rejects it).
 */
import { z } from 'zod';

const NUL = '\u0000';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why Postgres could not store `text` as it is, or undefined when it can. */
export function findUnstorableText(text: string): string | undefined {
  if (text.includes(NUL)) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(text)) return 'must be well-formed unicode (no lone surrogates)';
  return undefined;
}

/**
 * `text` made storable: each NUL and each lone surrogate becomes U+FFFD. For text we produce rather
 * than accept (an agent's reply, an error message), which must be stored and sent, not refused.
 */
export function toStorableText(text: string): string {
  return text.replaceAll(NUL, '\uFFFD').replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD');
}

/** A string without NUL characters or lone surrogates. */
export function storableText() {
  return z.string().superRefine((value, context) => {
    const reason = findUnstorableText(value);
    if (reason) context.addIssue({ code: 'custom', message: reason });
  });
}

/** A storable string of 1..max characters. */
export function safeText(max: number) {
  return storableText().min(1).max(max);
}
