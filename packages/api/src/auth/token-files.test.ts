import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateToken, tokenFilePath } from './token-files';

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

/** A child process that loads token-files, waits for "go" on stdin, then creates the token. */
const CHILD = `
const { loadOrCreateToken } = require(process.argv[1]);
process.stdout.write('ready\\n');
process.stdin.once('data', () => {
  process.stdout.write(loadOrCreateToken(process.argv[2], 'owner', undefined) + '\\n');
  process.exit(0);
});
`;

interface Child {
  ready: Promise<void>;
  done: Promise<{ code: number | null; lines: string[]; stderr: string }>;
  go(): void;
}

function startChild(modulePath: string, home: string): Child {
  const child = spawn(process.execPath, ['-e', CHILD, modulePath, home], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let markReady = () => {};
  const ready = new Promise<void>((resolve) => { markReady = resolve; });
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.startsWith('ready\n')) markReady();
  });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const done = new Promise<{ code: number | null; lines: string[]; stderr: string }>((resolve) => {
    child.on('close', (code) => {
      markReady();
      resolve({ code, lines: stdout.split('\n').filter((line) => line !== ''), stderr });
    });
  });
  return { ready, done, go: () => child.stdin.end('go\n') };
}

describe('loadOrCreateToken', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-token-files-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a 0600 file holding a long random token on the first call', () => {
    const token = loadOrCreateToken(dir, 'owner', undefined);
    const path = join(dir, 'owner-token');
    expect(modeOf(path)).toBe('600');
    expect(readFileSync(path, 'utf8')).toBe(`${token}\n`);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(readdirSync(dir)).toEqual(['owner-token']);
  });

  it('returns the same token on the second call and leaves the file as it was', () => {
    const first = loadOrCreateToken(dir, 'gateway', undefined);
    const path = tokenFilePath(dir, 'gateway');
    const written = statSync(path);
    expect(loadOrCreateToken(dir, 'gateway', undefined)).toBe(first);
    expect(statSync(path).ino).toBe(written.ino);
    expect(readFileSync(path, 'utf8')).toBe(`${first}\n`);
    expect(readdirSync(dir)).toEqual(['gateway-token']);
  });

  it('keeps distinct tokens in distinct files for the owner and the gateway', () => {
    const owner = loadOrCreateToken(dir, 'owner', undefined);
    const gateway = loadOrCreateToken(dir, 'gateway', undefined);
    expect(owner).not.toBe(gateway);
    expect(readdirSync(dir).sort()).toEqual(['gateway-token', 'owner-token']);
  });

  it('creates a missing home directory that only its user can enter', () => {
    const home = join(dir, 'nested', 'home');
    const token = loadOrCreateToken(home, 'owner', undefined);
    expect(readFileSync(join(home, 'owner-token'), 'utf8').trim()).toBe(token);
    expect(statSync(home).mode & 0o077).toBe(0);
  });

  it('returns the override and writes nothing, not even the home directory', () => {
    const home = join(dir, 'home');
    expect(loadOrCreateToken(home, 'owner', 'override-token-0123456789')).toBe('override-token-0123456789');
    expect(existsSync(home)).toBe(false);
  });

  it('prefers the override to an existing file and leaves that file alone', () => {
    const path = tokenFilePath(dir, 'owner');
    writeFileSync(path, 'file-token-0123456789abcdef\n', { mode: 0o644 });
    chmodSync(path, 0o644);
    expect(loadOrCreateToken(dir, 'owner', 'override-token-0123456789')).toBe('override-token-0123456789');
    expect({ content: readFileSync(path, 'utf8'), mode: modeOf(path) }).toEqual({ content: 'file-token-0123456789abcdef\n', mode: '644' });
  });

  it("keeps an existing file's token and tightens a lax mode to 0600", () => {
    const path = tokenFilePath(dir, 'owner');
    writeFileSync(path, '  file-token-0123456789abcdef \n');
    chmodSync(path, 0o644);
    expect(loadOrCreateToken(dir, 'owner', undefined)).toBe('file-token-0123456789abcdef');
    expect(modeOf(path)).toBe('600');
    expect(readdirSync(dir)).toEqual(['owner-token']);
  });

  it('refuses a file that holds no token instead of replacing it', () => {
    const path = tokenFilePath(dir, 'owner');
    writeFileSync(path, '\n');
    expect(() => loadOrCreateToken(dir, 'owner', undefined)).toThrow(path);
    expect(readFileSync(path, 'utf8')).toBe('\n');
  });

  it('gives processes that start at the same moment one and the same token', async () => {
    // Processes, not promises: the function is synchronous, and the guarantee is between processes.
    // The built module (npm test builds first), with the modules it loads.
    const modulePath = join(__dirname, '..', '..', 'dist', 'auth', 'token-files.js');
    // Three processes on each of four fresh homes, all released at once (a naive check-then-write
    // implementation disagrees on some home in nearly every run).
    const homes = [0, 1, 2, 3].map((index) => join(dir, `home-${index}`));
    const runs = homes.flatMap((home) => [0, 1, 2].map(() => ({ home, child: startChild(modulePath, home) })));
    await Promise.all(runs.map(({ child }) => child.ready));
    for (const { child } of runs) child.go();
    const results = await Promise.all(runs.map(async ({ home, child }) => ({ home, ...(await child.done) })));
    expect(results.map(({ code, stderr }) => ({ code, stderr }))).toEqual(results.map(() => ({ code: 0, stderr: '' })));
    for (const home of homes) {
      const onDisk = readFileSync(join(home, 'owner-token'), 'utf8').trim();
      const tokens = results.filter((result) => result.home === home).map(({ lines }) => lines[1]);
      expect(tokens).toEqual([onDisk, onDisk, onDisk]);
      expect(readdirSync(home)).toEqual(['owner-token']);
      expect(modeOf(join(home, 'owner-token'))).toBe('600');
    }
  }, 30_000);
});
