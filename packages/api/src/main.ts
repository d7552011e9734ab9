/**
 * Composition root of the API process: the only reader of process.env. Serves until SIGINT/SIGTERM.
 * Stdout gets the one line a person or a supervisor waits for (`switchboard: listening on <url> …`);
 * the log goes to stderr: JSON lines, or readable ones when stderr is a terminal.
 */
import { z } from 'zod';
import { parseConfig } from './config';
import { HOME_UMASK } from './home/home-modes';
import { createLog } from './ops/ops-log';
import { startServer } from './server';

async function main(): Promise<void> {
  process.umask(HOME_UMASK); // before anything is written to SB_HOME or the database opens
  const config = parseConfig(process.env);
  const log = createLog({ level: config.logLevel, content: config.logContent });
  const server = await startServer(config, { env: process.env, log });
  process.stdout.write(`${server.listening}\n`);
  const stop = () => void server.close().finally(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** A start-up failure, for the person who started the server (no logger exists before the config is read). */
function describeFailure(error: unknown): string {
  if (error instanceof z.ZodError) return `bad environment: ${error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`;
  return error instanceof Error ? error.message : String(error);
}

main().catch((error: unknown) => {
  process.stderr.write(`switchboard: ${describeFailure(error)}\n`);
  process.exit(1);
});
