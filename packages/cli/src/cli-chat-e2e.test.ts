import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const SB = join(__dirname, '..', 'dist', 'main.js');
const run = promisify(execFile);

// The server picks its own database and tokens from SB_HOME: nothing from the outer environment.
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['DATABASE_URL', 'SB_URL', 'SB_PORT', 'SB_HOST', 'SB_OWNER_TOKEN', 'SB_GATEWAY_TOKEN']) delete env[name];
  return { ...env, ...extra };
}

function waitForUrl(server: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    server.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    server.once('exit', (code) => reject(new Error(`sb serve exited with ${code}: ${stderr}`)));
    if (!server.stdout) return reject(new Error('sb serve has no stdout pipe'));
    createInterface({ input: server.stdout }).on('line', (line) => {
      const match = /^switchboard: listening on (http:\/\/\S+)$/.exec(line);
      if (match?.[1]) resolve(match[1]);
    });
  });
}

describe('sb chat against the real server (spawns `sb serve` on embedded PGlite)', () => {
  let home = '';
  let server: ChildProcess | undefined;
  let env: NodeJS.ProcessEnv = {};
  const sb = async (...args: string[]) => (await run(process.execPath, [SB, ...args], { env, timeout: 30_000 })).stdout;

  beforeAll(async () => {
    if (!existsSync(SB)) throw new Error(`${SB} is missing: run \`npx tsc -b\` first`);
    home = mkdtempSync(join(tmpdir(), 'sb-e2e-'));
    server = spawn(process.execPath, [SB, 'serve', '--port', '0'], { env: cleanEnv({ SB_HOME: home }), stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await waitForUrl(server);
    env = cleanEnv({ SB_URL: url, SB_HOME: home });
  }, 60_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server?.once('exit', resolve));
      server.kill('SIGTERM');
      const timer = setTimeout(() => server?.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
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
