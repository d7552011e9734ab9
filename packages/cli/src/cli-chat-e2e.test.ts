import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cleanEnv, SB, startServe, stop } from '../../../test/sb-process';

const run = promisify(execFile);

describe('sb chat against the real server (spawns `sb serve` on embedded PGlite)', () => {
  let home = '';
  let server: ChildProcess | undefined;
  let env: NodeJS.ProcessEnv = {};
  const sb = async (...args: string[]) => (await run(process.execPath, [SB, ...args], { env, timeout: 30_000 })).stdout;

  beforeAll(async () => {
    if (!existsSync(SB)) throw new Error(`${SB} is missing: run \`npx tsc -b\` first`);
    home = mkdtempSync(join(tmpdir(), 'sb-e2e-'));
    const started = await startServe(home);
    server = started.server;
    const url = started.url;
    env = cleanEnv({ SB_URL: url, SB_HOME: home });
  }, 60_000);

  afterAll(async () => {
    if (server) await stop(server);
    if (home) rmSync(home, { recursive: true, force: true });
  }, 20_000);

  it('keeps each contact\'s memories to itself while the owner sees them all', async () => {
    expect(await sb('chat', '--sender', 'telegram:1', '-m', 'remember I like tea')).toBe('remembered: I like tea\n');
    expect(await sb('chat', '--sender', 'telegram:2', '-m', 'recall')).toBe('no memories\n');
    expect(await sb('chat', '-m', 'recall')).toBe('I like tea\n');
    const contacts: unknown = JSON.parse(await sb('contacts', '--json'));
    expect(contacts).toHaveLength(2);
    expect(contacts).toEqual(expect.arrayContaining([
      expect.objectContaining({ identities: [{ channel: 'telegram', externalId: '1' }] }),
      expect.objectContaining({ identities: [{ channel: 'telegram', externalId: '2' }] }),
    ]));
  }, 60_000);
});
