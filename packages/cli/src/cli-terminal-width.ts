/**
 * Text measured and cut in terminal columns: a wide character (CJK, emoji) takes two, a combining
 * mark none, and text is only ever cut between grapheme clusters, so a cut never separates a letter
 * from its accent or splits an emoji. Widths are string-width's, the measure cli-table3 pads with.
 * Works on text already made inert (cli-terminal-text): there are no escape sequences left to skip.
 */
import stringWidth from 'string-width';

const ELLIPSIS = '…';
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The columns `text` takes on one line. */
export function measureWidth(text: string): number {
  return stringWidth(text);
}

/** `text` if it fits in `width` columns, else as much as fits with an ellipsis after it. */
export function truncateToWidth(text: string, width: number): string {
  if (measureWidth(text) <= width) return text;
  if (width <= 0) return '';
  let kept = '';
  for (const { segment } of graphemes.segment(text)) {
    if (measureWidth(kept + segment) + 1 > width) break;
    kept += segment;
  }
  return `${kept}${ELLIPSIS}`;
}

/**
 * Breaks text into lines of at most `width` columns as it is written, piece by piece (a streamed
 * reply): `column` is where the previous piece left the cursor. Breaks at grapheme boundaries.
 */
export function createLineWrapper(width: number): (text: string) => string {
  let column = 0;
  return (text) => {
    let wrapped = '';
    for (const { segment } of graphemes.segment(text)) {
      if (segment === '\n' || segment === '\r\n') {
        column = 0;
        wrapped += '\n';
        continue;
      }
      // A tab moves to the next stop of eight, as a terminal does.
      const size = segment === '\t' ? 8 - (column % 8) : measureWidth(segment);
      if (column > 0 && column + size > width) {
        wrapped += '\n';
        column = 0;
      }
      wrapped += segment;
      column += size;
    }
    return wrapped;
  };
}
