import type { AddressInfo } from 'node:net';
import express from 'express';
import { z } from 'zod';
import { AppError } from '@switchboard/shared';
import { describeEachEngine } from '../../../../test/engines';
import { captureLog, type CapturedLog } from '../ops/ops-log-capture';
import { createErrorMiddleware, toAppError } from './error-middleware';

/** The error the database raises for `sql`, as the driver hands it over. */
async function databaseError(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('the statement did not fail');
}

/** Serves one route that fails with `error` behind the real error writer; returns the status and body. */
async function answerTo(error: unknown, captured: CapturedLog = captureLog()): Promise<{ status: number; body: unknown }> {
  const app = express();
  app.get('/', () => {
    throw error;
  });
  app.use(createErrorMiddleware(captured.log));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return { status: response.status, body: await response.json() };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describeEachEngine('errorMiddleware and the database', (env) => {
  /** Runs statements as the schema owner in one transaction (a temporary table lives until its end). */
  const inTransaction = (statements: [string, unknown[]][]) => () =>
    env.db.adminTransaction(async (tx) => {
      for (const [sql, params] of statements) await tx.query(sql, params);
    });

  it.each<[string, [string, unknown[]][]]>([
    ['NUL in text (22021)', [['select $1::text as value', ['a\u0000b']]]],
    ['a lone surrogate escape in jsonb (22P05)', [["select '\"\\udc00\"'::jsonb as value", []]]],
    ['a value too long for its column (22001)', [
      ['create temporary table short (value varchar(2)) on commit drop', []], ['insert into short values ($1)', ['abc']],
    ]],
    ['a check constraint the value broke (23514)', [
      ['create temporary table checked (value text check (length(value) < 3)) on commit drop', []], ['insert into checked values ($1)', ['abcd']],
    ]],
  ])('answers 400 without the database message to %s, and logs the refusal without the value', async (_name, statements) => {
    const error = await databaseError(inTransaction(statements));
    const captured = captureLog();
    const answer = await answerTo(error, captured);
    expect(answer).toEqual({ status: 400, body: { error: { code: 'invalid_input', message: 'A value in the request cannot be stored' } } });
    expect(captured.entries()).toEqual([expect.objectContaining({ level: 40, msg: 'input refused by the database', sqlState: (error as { code: string }).code })]);
    expect(captured.entries()[0]).not.toHaveProperty('error');
  });

  it('still answers 500 to a database error that is not about a value (a missing table)', async () => {
    const error = await databaseError(() => env.admin('select * from no_such_table'));
    expect(toAppError(error)).toBeUndefined();
    const captured = captureLog();
    expect(await answerTo(error, captured)).toEqual({ status: 500, body: { error: { code: 'internal', message: 'Internal server error' } } });
    expect(captured.entries()).toEqual([expect.objectContaining({ level: 50, msg: 'unhandled error', err: expect.objectContaining({ code: '42P01' }) })]);
  });
});

describe('toAppError', () => {
  it('keeps AppErrors and turns zod errors into 400 with the issues', () => {
    const known = new AppError('conflict', 'Agent x already exists');
    expect(toAppError(known)).toBe(known);
    const zod = z.object({ a: z.string() }).safeParse({}).error;
    expect(toAppError(zod)).toMatchObject({ code: 'invalid_input', details: zod?.issues });
  });

  it('turns a malformed percent-encoding (URIError) into 400', () => {
    expect(toAppError(new URIError('URI malformed'))).toMatchObject({ code: 'invalid_input', message: 'The path has a malformed percent-encoding' });
  });

  it.each([
    [{ status: 400, type: 'entity.parse.failed' }, 'invalid_input', 'Malformed JSON body'],
    [{ status: 413, type: 'entity.too.large' }, 'payload_too_large', 'Request body is too large'],
    [{ status: 415, type: 'encoding.unsupported' }, 'invalid_input', 'Unsupported body encoding'],
    [{ status: 400, code: 'Z_DATA_ERROR' }, 'invalid_input', 'The request body does not match its content-encoding'],
    [{ status: 400, type: 'request.aborted' }, 'invalid_input', 'The request body was cut off'],
    [{ status: 400 }, 'invalid_input', 'Unreadable request'],
  ])('turns a body parser error %j into %s', (error, code, message) => {
    expect(toAppError(Object.assign(new Error('library text'), error))).toMatchObject({ code, message });
  });

  it('leaves a 5xx from a library, and anything else, to the 500 answer', () => {
    expect(toAppError(Object.assign(new Error('stream not readable'), { status: 500 }))).toBeUndefined();
    expect(toAppError(new TypeError('x is undefined'))).toBeUndefined();
  });
});
