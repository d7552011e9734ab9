/** Composition root of the API process: the only reader of process.env. Serves until SIGINT/SIGTERM. */
import { parseConfig } from './config';
import { HOME_UMASK } from './home/home-modes';
import { startServer } from './server';

async function main(): Promise<void> {
  process.umask(HOME_UMASK); // before anything is written to SB_HOME or the database opens
  const server = await startServer(parseConfig(process.env), { env: process.env });
  const stop = () => void server.close().finally(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error('switchboard:', error instanceof Error ? error.message : error);
  process.exit(1);
});
