/**
 * Text PostgreSQL stores as sent: what is refused on input (NUL, lone surrogates) and what is made
 * storable when we produced it ourselves (an agent's reply).
 */
import { findUnstorableText, toStorableText } from './text';

describe('storable text', () => {
  it.each([
    ['a\u0000b', 'a\uFFFDb'],
    ['lone high \uD800 here', 'lone high \uFFFD here'],
    ['lone low \uDC00', 'lone low \uFFFD'],
    ['pair \uD83D\uDE00 kept', 'pair \uD83D\uDE00 kept'],
    ['\u0000\uD800\u0000', '\uFFFD\uFFFD\uFFFD'],
  ])('makes %j storable as %j', (text, storable) => {
    expect(toStorableText(text)).toBe(storable);
    expect(findUnstorableText(toStorableText(text))).toBeUndefined();
  });
});
