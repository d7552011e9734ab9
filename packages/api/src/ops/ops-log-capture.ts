/** A real logger whose lines are kept in memory as parsed JSON, for tests that read the log. */
import { createLog, type Log, type LogOptions } from './ops-log';

export interface CapturedLog {
  log: Log;
  /** Every line written so far, parsed. */
  entries(): Record<string, unknown>[];
}

export function captureLog(options: Partial<LogOptions> = {}): CapturedLog {
  const lines: string[] = [];
  const log = createLog({ level: 'info', content: false, ...options }, { write: (line: string) => void lines.push(line) });
  return { log, entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}
