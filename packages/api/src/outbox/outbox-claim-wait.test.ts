/**
 * A waiting claim always ends on time: its wait holds its own timer, so a full garbage collection
 * during the wait cannot drop it (on Node 20 a timeout signal held only by `AbortSignal.any` was
 * collected and the claim never looked again). The claims run in a child process started with
 * `--expose-gc` on the built code (`npx tsc -b` first), against a copy of the migrated database.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { availableEngines, createMigratedPostgresDatabase } from '../../../../test/engines';

const API_DIST = join(__dirname, '..', '..', 'dist', 'index.js');
const WAIT_MS = 700;
const ROUNDS = 12;

/** Runs ROUNDS empty claims of WAIT_MS one after another, collecting garbage before and during each; prints their durations. */
const CLAIMER = `
const api = require(${JSON.stringify(API_DIST)});
const [engine, source] = process.argv.slice(1);
(async () => {
  const db = engine === 'pglite'
    ? await api.createPgliteDb({ kind: 'snapshot', data: new Blob([require('node:fs').readFileSync(source)]) })
    : api.createPgDb({ connectionString: source, maxConnections: 2 });
  const outbox = api.createServices(db).outbox;
  const owner = api.ownerScope(await api.findTenantId(db, 'default'));
  const took = [];
  for (let round = 0; round < ${ROUNDS}; round++) {
    global.gc();
    const collecting = setInterval(() => global.gc(), 60);
    const started = Date.now();
    const items = await outbox.claim(owner, { channel: 'telegram', account: 'gc-wait', waitMs: ${WAIT_MS} });
    clearInterval(collecting);
    took.push(items.length === 0 ? Date.now() - started : -1);
  }
  console.log(JSON.stringify(took));
  await db.close();
})().catch((error) => { console.error(error); process.exit(1); });
`;

async function runClaimer(engine: string, source: string): Promise<number[]> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '-e', CLAIMER, engine, source], { timeout: 40_000 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '[]') as number[];
}

describe('outbox claim wait', () => {
  for (const engine of availableEngines()) {
    it(`returns each of ${ROUNDS} consecutive empty waiting claims on time, with full garbage collections during and between them [${engine}]`, async () => {
      const database = engine === 'pglite' ? undefined : await createMigratedPostgresDatabase();
      try {
        const source = database?.url ?? process.env.SB_TEST_PGLITE_SNAPSHOT ?? '';
        const took = await runClaimer(engine, source);
        expect(took).toHaveLength(ROUNDS);
        for (const ms of took) {
          expect(ms).toBeGreaterThanOrEqual(WAIT_MS - 20);
          expect(ms).toBeLessThan(WAIT_MS + 1000);
        }
      } finally {
        await database?.drop();
      }
    }, 90_000);
  }
});
