import { CHANNEL_TEXT_LIMITS, splitText } from './split-text';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function withoutWhitespace(text: string): string {
  return text.replace(/\s+/g, '');
}

/** True when every ``` block opened in the text is closed again (a closing fence has no tag). */
function hasClosedFences(text: string): boolean {
  let isOpen = false;
  for (const line of text.split('\n')) {
    if (!isOpen && /^```/.test(line)) isOpen = true;
    else if (isOpen && /^```\s*$/.test(line)) isOpen = false;
  }
  return !isOpen;
}

/** A small deterministic PRNG (mulberry32), so a failing case can be replayed. */
function createRandom(seed: number): (max: number) => number {
  let state = seed;
  return (max) => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * max);
  };
}

function randomProse(random: (max: number) => number): string {
  const pieces = ['word', 'longerword', 'a', '😀', 'naïve', 'x'.repeat(random(60)), ' ', ' ', '\n', '\n\n', '  '];
  return Array.from({ length: random(200) }, () => pieces[random(pieces.length)]).join('');
}

/** Prose, or prose with well-formed ``` blocks between its paragraphs. */
function randomText(random: (max: number) => number, withFences: boolean): string {
  if (!withFences) return randomProse(random);
  const segments = Array.from({ length: 1 + random(4) }, () =>
    random(2) === 0 ? randomProse(random) : `\`\`\`ts\n${randomProse(random)}\n\`\`\``,
  );
  return segments.join('\n');
}

describe('splitText', () => {
  it('exports the channel limits', () => {
    expect(CHANNEL_TEXT_LIMITS).toEqual({ telegram: 4096, discord: 2000, whatsapp: 4096 });
  });

  it('returns no chunks for empty or blank text', () => {
    expect(splitText('', 10)).toEqual([]);
    expect(splitText(' \n\n\t ', 10)).toEqual([]);
  });

  it('returns a text that fits as one chunk', () => {
    expect(splitText('hello world', 11)).toEqual(['hello world']);
  });

  it('cuts at the last paragraph break that fits, before a later line break', () => {
    const text = 'first paragraph\n\nsecond one\nthird line';
    expect(splitText(text, 30)).toEqual(['first paragraph', 'second one\nthird line']);
  });

  it('cuts at a line break when no paragraph break fits', () => {
    expect(splitText('line one\nline two\nline three', 20)).toEqual(['line one\nline two', 'line three']);
  });

  it('cuts at a space when no line break fits', () => {
    expect(splitText('alpha beta gamma delta', 12)).toEqual(['alpha beta', 'gamma delta']);
  });

  it('hard-cuts a word longer than the limit', () => {
    expect(splitText('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
  });

  it('never cuts between the two halves of a surrogate pair', () => {
    const text = '😀'.repeat(7);
    const chunks = splitText(text, 5);
    expect(chunks).toEqual(['😀😀', '😀😀', '😀😀', '😀']);
    expect(chunks.some((chunk) => LONE_SURROGATE.test(chunk))).toBe(false);
  });

  it('splits a 5,000-character reply into exactly 2 Telegram chunks', () => {
    const sentence = 'The agent keeps every contact’s memories apart, as the design requires. ';
    const paragraphs = Array.from({ length: 10 }, () => sentence.repeat(7).trim());
    const reply = `${paragraphs.join('\n\n').slice(0, 4999)}.`;
    expect(reply).toHaveLength(5000);
    const chunks = splitText(reply, CHANNEL_TEXT_LIMITS.telegram);
    expect(chunks).toHaveLength(2);
    expect(chunks.join('\n\n')).toBe(reply);
  });

  it('cuts before a code block that fits in the next chunk rather than inside it', () => {
    const code = '```ts\nconst a = 1;\nconst b = 2;\n```';
    const text = `Here is the fix:\n\n${code}\n\nDone.`;
    expect(splitText(text, 40)).toEqual(['Here is the fix:', code, 'Done.']);
  });

  it('closes a code block longer than the limit at the cut and reopens it with its language', () => {
    const lines = Array.from({ length: 30 }, (_, index) => `  console.log(${index});`);
    const text = `Run this:\n\`\`\`ts\n${lines.join('\n')}\n\`\`\`\nThat is all.`;
    const chunks = splitText(text, 120);
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks.slice(1, -1)) {
      expect(chunk.startsWith('```ts\n')).toBe(true);
      expect(chunk.endsWith('\n```')).toBe(true);
    }
    expect(chunks.every((chunk) => chunk.length <= 120 && hasClosedFences(chunk))).toBe(true);
    const code = chunks.join('\n').split('\n').filter((line) => line.startsWith('  console.log'));
    expect(code).toEqual(lines);
  });

  it('hard-cuts a code line longer than the limit and keeps the block open in both chunks', () => {
    const text = `\`\`\`\n${'x'.repeat(50)}\n\`\`\``;
    const chunks = splitText(text, 30);
    expect(chunks.every((chunk) => chunk.startsWith('```\n') && chunk.endsWith('\n```'))).toBe(true);
    expect(chunks.map((chunk) => chunk.slice(4, -4)).join('')).toBe('x'.repeat(50));
  });

  it('rejects a limit that cannot hold a surrogate pair', () => {
    expect(() => splitText('text', 1)).toThrow(RangeError);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('keeps every chunk within the limit and loses only whitespace (seed %i)', (seed) => {
    const random = createRandom(seed);
    for (let round = 0; round < 25; round++) {
      const text = randomText(random, false);
      const limit = 2 + random(120);
      const chunks = splitText(text, limit);
      expect(chunks.every((chunk) => chunk.trim() !== '' && chunk.length <= limit)).toBe(true);
      expect(chunks.some((chunk) => LONE_SURROGATE.test(chunk))).toBe(false);
      expect(withoutWhitespace(chunks.join(''))).toBe(withoutWhitespace(text));
    }
  });

  it.each([1, 2, 3, 4])('keeps code fences balanced in every chunk of random text (seed %i)', (seed) => {
    const random = createRandom(seed);
    for (let round = 0; round < 25; round++) {
      const text = randomText(random, true);
      const limit = 20 + random(200);
      const chunks = splitText(text, limit);
      const withoutFences = (value: string) => withoutWhitespace(value.replace(/^```(ts)?$/gm, ''));
      expect(chunks.every((chunk) => chunk.trim() !== '' && chunk.length <= limit)).toBe(true);
      expect(withoutFences(chunks.join('\n'))).toBe(withoutFences(text));
      if (hasClosedFences(text)) expect(chunks.every(hasClosedFences)).toBe(true);
    }
  });
});
