/**
 * Writes every failure as `{error: {code, message, details?}}`. AppErrors keep their code; zod
 * errors are 400 with the issues; what the request itself got wrong (body parser, URI decoding, a
 * value PostgreSQL refused as data) is 4xx with a message of ours, never the library's or the
 * database's. Anything else is a bug: logged with its cause and answered 500 without internals.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { AppError } from '@switchboard/shared';
import type { Log } from '../ops/ops-log';

/** body-parser's error types (from raw-body and http-errors), and what a client is told. */
const BODY_ERRORS: Record<string, string> = {
  'entity.parse.failed': 'Malformed JSON body',
  'encoding.unsupported': 'Unsupported body encoding',
  'charset.unsupported': 'Unsupported body encoding',
  'request.aborted': 'The request body was cut off',
  'request.size.invalid': 'The request body does not match its content-length',
  'entity.verify.failed': 'The request body was refused',
};

const HttpError = z.object({
  status: z.number().int().min(400).max(499),
  type: z.string().optional(),
  code: z.unknown().optional(),
});

/** PostgreSQL data exceptions (class 22) and check violations: a value from the request it would not store. */
const INPUT_SQLSTATE = /^(22[0-9A-Z]{3}|23514)$/;

export function toAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (error instanceof z.ZodError) return new AppError('invalid_input', 'Invalid input', { details: error.issues });
  if (error instanceof URIError) return new AppError('invalid_input', 'The path has a malformed percent-encoding', { cause: error });
  const http = HttpError.safeParse(error);
  if (http.success) return fromHttpError(http.data, error);
  if (isInputRefusedByDatabase(error)) return new AppError('invalid_input', 'A value in the request cannot be stored', { cause: error });
  return undefined;
}

function fromHttpError(http: z.infer<typeof HttpError>, cause: unknown): AppError {
  if (http.status === 413) return new AppError('payload_too_large', 'Request body is too large', { cause });
  const known = http.type === undefined ? undefined : BODY_ERRORS[http.type];
  if (known) return new AppError('invalid_input', known, { cause });
  // zlib's and brotli's errors carry no type: the body is not what its content-encoding says.
  const inflate = typeof http.code === 'string' && /^(Z_|ERR_)/.test(http.code);
  return new AppError('invalid_input', inflate ? 'The request body does not match its content-encoding' : 'Unreadable request', { cause });
}

function isInputRefusedByDatabase(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && INPUT_SQLSTATE.test(code);
}

export function createErrorMiddleware(log: Log): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const known = toAppError(error);
    if (!known) log.error({ err: error, method: req.method, path: req.path }, 'unhandled error');
    // A database refusal means a route let a value through unchecked: answered 400, but worth fixing.
    // Its message may quote the value, so it is logged as content.
    else if (isInputRefusedByDatabase(error)) {
      log.warn({ method: req.method, path: req.path, sqlState: (error as { code: string }).code, error: String(error) }, 'input refused by the database');
    }
    const status = known?.status ?? 500;
    const body = known
      ? { code: known.code, message: known.message, ...(known.details === undefined ? {} : { details: known.details }) }
      : { code: 'internal', message: 'Internal server error' };
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(status).json({ error: body });
  };
}

export const notFoundMiddleware: RequestHandler = (req, _res, next) => {
  next(new AppError('not_found', `Route ${req.method} ${req.path} not found`));
};
