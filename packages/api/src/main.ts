/** Composition root: the only reader of process.env. Opens and migrates the database, then waits. */
import { parseConfig } from './config';
import { openDb } from './db/open-db';

async function main(): Promise<void> {
  const config = parseConfig(process.env);
  const db = await openDb(config);
  console.log(`switchboard: database ready (${db.engine}${config.databaseUrl ? '' : ` in ${config.home}`})`);
  const stop = () => void db.close().finally(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error('switchboard:', error instanceof Error ? error.message : error);
  process.exit(1);
});
