/**
 * Splits a reply into chunks a channel accepts. Each cut is the last fitting paragraph break, else
 * line break, else space; a hard cut only as a last resort, never inside a surrogate pair. Cuts
 * outside ``` code blocks win over cuts inside; a block cut in two is closed at the cut and reopened
 * with its language tag in the next chunk, so every chunk renders. Only whitespace at cuts is lost.
 */

/** The longest message each chat channel accepts, in UTF-16 code units. */
export const CHANNEL_TEXT_LIMITS = { telegram: 4096, discord: 2000, whatsapp: 4096 } as const;

interface Fence {
  /** The opening line, e.g. "```ts", repeated to reopen the block. */
  opening: string;
  start: number;
  contentStart: number;
  contentEnd: number;
  end: number;
}

type Place = { kind: 'outside' } | { kind: 'inside' | 'fence-line'; fence: Fence };
type Where = 'outside' | 'inside';

const CLOSE = '\n```';
const FENCE_LINE = /^[^\S\n]*```.*$/gm;
/** A closing fence carries no language tag; "```ts" inside a block is code. */
const CLOSING_FENCE = /^\s*```\s*$/;
const BOUNDARIES = [/\n(?:[^\S\n]*\n)+/g, /\n/g, /\s+/g];
/** Room a reopened block needs besides its opening line: a newline, a surrogate pair, the close. */
const REOPEN_ROOM = 1 + 2 + CLOSE.length;

/** The chunks of `text`, each non-empty and at most `limit` long; [] for blank text. */
export function splitText(text: string, limit: number): string[] {
  if (!Number.isInteger(limit) || limit < 2) {
    throw new RangeError(`splitText needs an integer limit of at least 2, got ${limit}`);
  }
  const chunks: string[] = [];
  // `rest` starts and ends with text, so no whitespace cut leaves an empty side.
  let rest = text.trim();
  while (rest.length > limit) {
    const [head, tail] = cutOnce(rest, limit);
    chunks.push(head);
    rest = tail;
  }
  if (rest !== '') chunks.push(rest);
  return chunks;
}

function cutOnce(body: string, limit: number): [string, string] {
  // A block that could not be reopened within the limit is split like plain text.
  const fences = findFences(body).filter((fence) => fence.opening.length + REOPEN_ROOM < limit);
  for (const where of ['outside', 'inside'] as const) {
    for (const boundary of BOUNDARIES) {
      const cut = findLastCut(body, limit, boundary, fences, where);
      if (cut) return cut;
    }
  }
  return cutHard(body, limit, fences);
}

function findFences(body: string): Fence[] {
  const fences: Fence[] = [];
  let open: RegExpExecArray | undefined;
  for (const line of body.matchAll(FENCE_LINE)) {
    if (!open) {
      open = line;
    } else if (CLOSING_FENCE.test(line[0])) {
      fences.push(fenceOf(open, line.index, line.index + line[0].length));
      open = undefined;
    }
  }
  if (open) fences.push(fenceOf(open, body.length, body.length));
  return fences;
}

function fenceOf(opening: RegExpExecArray, contentEnd: number, end: number): Fence {
  const contentStart = opening.index + opening[0].length + 1;
  return { opening: opening[0].trim(), start: opening.index, contentStart, contentEnd, end };
}

function placeOf(fences: Fence[], position: number): Place {
  for (const fence of fences) {
    if (position < fence.start || position >= fence.end) continue;
    const isContent = position >= fence.contentStart && position < fence.contentEnd;
    return { kind: isContent ? 'inside' : 'fence-line', fence };
  }
  return { kind: 'outside' };
}

function findLastCut(
  body: string,
  limit: number,
  boundary: RegExp,
  fences: Fence[],
  where: Where,
): [string, string] | undefined {
  let best: [string, string] | undefined;
  for (const match of body.matchAll(boundary)) {
    if (match.index > limit) break;
    const cut = cutAt(body, match.index, match.index + match[0].length, placeOf(fences, match.index), where);
    if (cut && cut[0].length <= limit) best = cut;
  }
  return best;
}

/** Cuts out the whitespace [start, end) if it lies where asked, leaving text on both sides. */
function cutAt(body: string, start: number, end: number, place: Place, where: Where): [string, string] | undefined {
  if (place.kind !== where) return undefined;
  if (place.kind === 'outside') return [body.slice(0, start).trimEnd(), body.slice(end).trimStart()];
  const hasCodeBefore = body.slice(place.fence.contentStart, start).trim() !== '';
  return hasCodeBefore ? cutInside(body, start, end, place.fence) : undefined;
}

/** Closes the block in the head and reopens it in the tail, unless only whitespace was left in it. */
function cutInside(body: string, start: number, end: number, fence: Fence): [string, string] {
  const head = body.slice(0, start).trimEnd() + CLOSE;
  const hasCodeAfter = body.slice(end, fence.contentEnd).trim() !== '';
  return [head, hasCodeAfter ? `${fence.opening}\n${body.slice(end)}` : body.slice(fence.end).trimStart()];
}

/** The last resort: as much as fits; inside a block, up to the room its closing fence leaves. */
function cutHard(body: string, limit: number, fences: Fence[]): [string, string] {
  const end = keepSurrogatePair(body, limit);
  const place = placeOf(fences, end);
  if (place.kind !== 'outside') {
    const { fence } = place;
    const insideEnd = keepSurrogatePair(body, Math.min(limit - CLOSE.length, fence.contentEnd));
    if (insideEnd >= fence.contentStart) return cutInside(body, insideEnd, insideEnd, fence);
  }
  return [body.slice(0, end), body.slice(end).trimStart()];
}

function keepSurrogatePair(body: string, end: number): number {
  const isHigh = /[\uD800-\uDBFF]/.test(body.charAt(end - 1));
  const isLow = /[\uDC00-\uDFFF]/.test(body.charAt(end));
  return isHigh && isLow ? end - 1 : end;
}
