/** Text fields as Postgres can store them: no NUL characters (a `text` column rejects them). */
import { z } from 'zod';

const NO_NUL = /^[^\u0000]*$/;

/** A string of 1..max characters without NUL. */
export function safeText(max: number) {
  return z.string().min(1).max(max).regex(NO_NUL, 'must not contain NUL characters');
}
