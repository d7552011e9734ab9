import { AppError, errorStatus, isAppError, notFound } from './error';

describe('AppError', () => {
  it('maps every code to an HTTP status through one table', () => {
    for (const [code, status] of Object.entries(errorStatus)) {
      expect(new AppError(code as keyof typeof errorStatus, 'x').status).toBe(status);
    }
    expect(new AppError('not_found', 'x').status).toBe(404);
    expect(new AppError('invalid_input', 'x').status).toBe(400);
  });

  it('names the missing thing in a not-found error', () => {
    const error = notFound('Contact', '3f2a');
    expect(error.message).toBe('Contact 3f2a not found');
    expect(isAppError(error, 'not_found')).toBe(true);
    expect(isAppError(error, 'conflict')).toBe(false);
    expect(isAppError(new Error('plain'))).toBe(false);
  });

  it('keeps the cause and details it was given', () => {
    const cause = new Error('socket closed');
    const error = new AppError('upstream_failed', 'Telegram sendMessage failed', { cause, details: { attempt: 3 } });
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual({ attempt: 3 });
  });
});
