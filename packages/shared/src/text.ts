/**
 * Text fields as Postgres stores them faithfully: no NUL (a `text` column rejects it) and no lone
 * UTF-16 surrogate (it would be stored as U+FFFD, so two different ids could become one).
 */
import { z } from 'zod';

const NO_NUL = /^[^\u0000]*$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A string without NUL characters or lone surrogates. */
export function storableText() {
  return z
    .string()
    .regex(NO_NUL, 'must not contain NUL characters')
    .refine((value) => !LONE_SURROGATE.test(value), 'must be well-formed unicode (no lone surrogates)');
}

/** A storable string of 1..max characters. */
export function safeText(max: number) {
  return storableText().min(1).max(max);
}
