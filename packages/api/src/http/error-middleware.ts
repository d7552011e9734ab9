/**
 * Writes every failure as `{error: {code, message, details?}}`. AppErrors keep their code; body
 * parser failures become 400/413; zod errors 400 with the issues; anything else is a bug: logged
 * with its cause and answered 500 without internals.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { AppError } from '@switchboard/shared';

export function toAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (error instanceof z.ZodError) return new AppError('invalid_input', 'Invalid input', { details: error.issues });
  const type = (error as { type?: unknown } | null)?.type;
  if (type === 'entity.parse.failed') return new AppError('invalid_input', 'Malformed JSON body');
  if (type === 'entity.too.large') return new AppError('payload_too_large', 'Request body is too large');
  if (typeof type === 'string' && type.startsWith('encoding.') || type === 'charset.unsupported') {
    return new AppError('invalid_input', 'Unsupported body encoding');
  }
  return undefined;
}

export const errorMiddleware: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
  const known = toAppError(error);
  if (!known) console.error('switchboard: unhandled error', error);
  const status = known?.status ?? 500;
  const body = known
    ? { code: known.code, message: known.message, ...(known.details === undefined ? {} : { details: known.details }) }
    : { code: 'internal', message: 'Internal server error' };
  res.status(status).json({ error: body });
};

export const notFoundMiddleware: RequestHandler = (req, _res, next) => {
  next(new AppError('not_found', `Route ${req.method} ${req.path} not found`));
};
