import { REFUSED_PREVIEW_CHARS, storedText } from './inbound-repo';

describe('storedText', () => {
  const long = `${'a'.repeat(199)}🌊🌊 and more`;

  it('keeps the whole text of a message that runs or ran', () => {
    for (const status of ['queued', 'done', 'failed'] as const) expect(storedText(long, status)).toBe(long);
  });

  it('keeps the first 200 characters (not UTF-16 units) of a refused message, so no surrogate pair is split', () => {
    for (const status of ['blocked', 'ignored'] as const) {
      const preview = storedText(long, status);
      expect(preview).toBe(`${'a'.repeat(199)}🌊`);
      expect(Array.from(preview)).toHaveLength(REFUSED_PREVIEW_CHARS);
    }
    expect(storedText('short', 'blocked')).toBe('short');
  });
});
