/**
 * The edge guard every route sits behind: text PostgreSQL cannot store as sent (NUL anywhere, a
 * lone UTF-16 surrogate) is refused with 400 before any route runs, in the path, in query keys and
 * values, and in JSON body keys and strings, naming where it was. A malformed `%` escape in the path
 * and a body nested deeper than any route reads are refused the same way. Walks are iterative.
 */
import type { RequestHandler } from 'express';
import { AppError, findUnstorableText } from '@switchboard/shared';

/** Deeper than any body a route accepts (channel state is the deepest, a few levels). */
export const MAX_BODY_DEPTH = 64;
const MAX_ISSUES = 20;

type IssuePath = (string | number)[];

/** One refused piece of text, shaped like a zod issue so clients read it the same way. */
interface TextIssue {
  code: 'invalid_text';
  path: IssuePath;
  message: string;
}

export const inputMiddleware: RequestHandler = (req, _res, next) => {
  checkPath(req.path);
  refuse('query parameter', checkQuery(req.query));
  refuse('body field', checkBody(req.body));
  next();
};

function refuse(where: string, issues: TextIssue[]): void {
  const [first] = issues;
  if (!first) return;
  const name = first.path.join('.');
  throw new AppError('invalid_input', `${where}${name ? ` ${name}` : ''}: ${first.message}`, { details: issues });
}

function checkPath(path: string): void {
  for (const segment of path.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch (error) {
      throw new AppError('invalid_input', 'The path has a malformed percent-encoding', { cause: error });
    }
    const reason = findUnstorableText(decoded);
    if (reason) throw new AppError('invalid_input', `path: ${reason}`, { details: [{ code: 'invalid_text', path: [], message: reason }] });
  }
}

function checkQuery(query: unknown): TextIssue[] {
  if (typeof query !== 'object' || query === null) return [];
  const issues: TextIssue[] = [];
  for (const [key, value] of Object.entries(query)) {
    for (const text of [key, ...(Array.isArray(value) ? value : [value])]) {
      const reason = typeof text === 'string' ? findUnstorableText(text) : undefined;
      if (reason) issues.push({ code: 'invalid_text', path: [key], message: reason });
    }
  }
  return issues.slice(0, MAX_ISSUES);
}

/** Every string and key of a parsed JSON body, without recursion (a body may nest thousands deep). */
function checkBody(body: unknown): TextIssue[] {
  const issues: TextIssue[] = [];
  const pending: { value: unknown; path: IssuePath }[] = [{ value: body, path: [] }];
  for (let item = pending.pop(); item && issues.length < MAX_ISSUES; item = pending.pop()) {
    const { value, path } = item;
    const key = path.at(-1);
    const keyReason = typeof key === 'string' ? findUnstorableText(key) : undefined;
    if (keyReason) issues.push({ code: 'invalid_text', path, message: `key ${keyReason}` });
    const reason = typeof value === 'string' ? findUnstorableText(value) : undefined;
    if (reason) issues.push({ code: 'invalid_text', path, message: reason });
    if (typeof value !== 'object' || value === null) continue;
    if (path.length >= MAX_BODY_DEPTH) throw new AppError('invalid_input', `The body is nested deeper than ${MAX_BODY_DEPTH} levels`);
    // Pushed last to first, so issues come in the body's own order.
    for (const [name, child] of Object.entries(value).reverse()) {
      pending.push({ value: child, path: [...path, Array.isArray(value) ? Number(name) : name] });
    }
  }
  return issues;
}
