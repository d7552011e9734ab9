/**
 * The server's log: one pino logger, made by the composition root and passed down as a dependency.
 * JSON lines by default; human-readable lines (pino-pretty, in this thread) when a person watches.
 * What people wrote (message, reply and memory text, and error texts that may repeat them) goes in
 * the CONTENT_FIELDS, which are removed from every line unless content logging is on.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';
import { z } from 'zod';

export type Log = Logger;

export const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
export type LogLevel = z.infer<typeof LogLevel>;

/** Fields that may hold what a person wrote: logged only with `content`. */
export const CONTENT_FIELDS = ['text', 'reply', 'error', 'content'];

export interface LogOptions {
  level: LogLevel;
  /** Keep the CONTENT_FIELDS in the log (SB_LOG_CONTENT=1). */
  content: boolean;
  /** Human-readable lines on stderr instead of JSON; by default when stderr is a terminal. */
  pretty?: boolean;
}

/** The logger; it writes to `destination` (tests), else to stderr. */
export function createLog(options: LogOptions, destination?: DestinationStream): Log {
  const redact = options.content ? undefined : { paths: CONTENT_FIELDS, remove: true };
  const stream = destination ?? ((options.pretty ?? process.stderr.isTTY === true)
    ? PinoPretty({ destination: 2, sync: true, ignore: 'pid,hostname' })
    : pino.destination({ dest: 2, sync: true }));
  return pino({ level: options.level, base: { pid: process.pid }, ...(redact ? { redact } : {}) }, stream);
}

/** A logger that writes nothing: for tests and tools that do not read the log. */
export function createSilentLog(): Log {
  return pino({ level: 'silent' });
}
