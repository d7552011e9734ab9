import { InboundMessage, MAX_MESSAGE_TEXT } from '@switchboard/shared';
import { toDisplayName, toMessageText } from './inbound-text';

describe('toMessageText', () => {
  it('keeps ordinary text as it is, whitespace included', () => {
    expect(toMessageText('  hello\nworld 😀 ')).toBe('  hello\nworld 😀 ');
  });

  it('gives undefined for missing or blank text', () => {
    expect(toMessageText(undefined)).toBeUndefined();
    expect(toMessageText(null)).toBeUndefined();
    expect(toMessageText(' \n\t')).toBeUndefined();
    expect(toMessageText('\u0000')).toBeUndefined();
  });

  it('removes NUL characters and replaces lone surrogates', () => {
    expect(toMessageText('a\u0000b\uD800c\uDC00')).toBe('ab\uFFFDc\uFFFD');
  });

  it('truncates to the inbound limit without splitting a surrogate pair', () => {
    expect(toMessageText('b'.repeat(MAX_MESSAGE_TEXT + 10))).toHaveLength(MAX_MESSAGE_TEXT);
    const text = toMessageText(`${'b'.repeat(MAX_MESSAGE_TEXT - 1)}😀`);
    expect(text).toBe('b'.repeat(MAX_MESSAGE_TEXT - 1));
    const message = { channel: 'telegram', sender: { id: '1' }, messageId: '1', text };
    expect(InboundMessage.safeParse(message).success).toBe(true);
  });
});

describe('toDisplayName', () => {
  it('trims the name', () => {
    expect(toDisplayName('  Ana Silva ')).toBe('Ana Silva');
  });

  it('gives undefined for a missing or blank name', () => {
    expect(toDisplayName(undefined)).toBeUndefined();
    expect(toDisplayName('   ')).toBeUndefined();
  });

  it('bounds a long name to 200 characters', () => {
    expect(toDisplayName('n'.repeat(500))).toBe('n'.repeat(200));
  });
});
