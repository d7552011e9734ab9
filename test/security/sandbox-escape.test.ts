/**
 * A contact is the attacker: its message makes the agent CLI (the fake claude, which runs a probe
 * the message lists) try to read the owner token, list the data directory and SB_HOME, read and
 * overwrite a sibling contact's workspace file, read the server user's ~/.claude/CLAUDE.md, reach
 * a local TCP canary directly and through the proxy, and reach the suite's PostgreSQL (trust
 * authentication). Against the real server process (PGlite in SB_HOME): every attempt fails in the
 * sandbox, and succeeds once the owner turns it off (so the test proves the sandbox, not the fake);
 * memory tools still work over MCP from inside.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createApiClient, type ApiClient } from '@switchboard/shared';
import { readTokenFile, tokenFilePath } from '@switchboard/api';
import { useServerProcesses, type ServerProcess } from '../server-process';
import { fakeCliBin } from '../fake-cli-calls';

const START_MS = 120_000;

describe('a contact\'s turn cannot leave its sandbox (real server process; the fake claude runs the attacker\'s probe)', () => {
  const servers = useServerProcesses();
  const dir = mkdtempSync(join(tmpdir(), 'sb-sandbox-escape-'));
  const sbHome = join(dir, 'sb');
  const userHome = join(dir, 'user-home');
  mkdirSync(join(userHome, '.claude'), { recursive: true });
  writeFileSync(join(userHome, '.claude', 'CLAUDE.md'), 'the owner\'s own instructions\n');
  const env = { SB_HOME: sbHome, SB_PORT: '0', HOME: userHome, PATH: process.env.PATH ?? '/usr/bin:/bin' };
  let server: ServerProcess;
  let owner: ApiClient;
  let canary: Server;
  let canaryPort = 0;
  let siblingFile = '';

  beforeAll(async () => {
    canary = createServer((socket) => socket.on('error', () => socket.destroy()).end('canary\n')).listen(0, '127.0.0.1');
    await once(canary, 'listening');
    canaryPort = (canary.address() as { port: number }).port;
    server = await servers.start('sandboxed', env);
    owner = createApiClient({ baseUrl: server.url, token: readTokenFile(tokenFilePath(sbHome, 'owner')) });
    await owner.agents.update('default', { provider: 'claude', bin: fakeCliBin('claude') });
    const sibling = await say('901', 'hello');
    siblingFile = join(sbHome, 'workspaces', 'default', sibling.contactId ?? 'missing', 'diary.txt');
    writeFileSync(siblingFile, 'the sibling\'s diary\n');
  }, START_MS);
  afterAll(() => {
    canary.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const say = (sender: string, text: string) =>
    owner.inbound({ channel: 'telegram', sender: { id: sender }, messageId: randomUUID(), text }, { wait: true });
  const probe = () => ({
    read: [tokenFilePath(sbHome, 'owner'), join(userHome, '.claude', 'CLAUDE.md'), siblingFile, `/proc/${server.pid}/environ`],
    list: [sbHome, join(sbHome, 'data'), join(sbHome, 'contacts'), ...(process.getuid?.() === 0 ? ['/root'] : [])],
    write: [siblingFile],
    connect: [`127.0.0.1:${canaryPort}`, ...testPostgres()],
    proxy: [`127.0.0.1:${canaryPort}`],
  });
  /** The probe's report lines (the fake's reply after its first line). */
  const attack = async () => (await say('902', `probe ${JSON.stringify(probe())}`)).reply?.text.split('\n').slice(1) ?? [];

  it('fails every attempt inside the sandbox', async () => {
    const report = await attack();
    const attempts = Object.values(probe()).flat().length;
    expect(report).toHaveLength(attempts);
    expect(report.filter((line) => !/: failed /.test(line))).toEqual([]);
    expect(report).toContain(`proxy 127.0.0.1:${canaryPort}: failed 403`);
    // Read-only system, even for root inside: nothing written reaches the host.
    const system = await say('902', `probe ${JSON.stringify({ write: ['/usr/lib/switchboard-probe', '/etc/passwd'], list: ['/home', '/var'] })}`);
    expect(system.reply?.text.split('\n').slice(1).filter((line) => !/: failed /.test(line))).toEqual([]);
  }, 60_000);

  it('still remembers and recalls through the MCP endpoint from inside the sandbox, in the contact\'s own scope', async () => {
    expect((await say('903', 'remember: the sandboxed contact likes teal')).reply?.text).toContain('"content":"the sandboxed contact likes teal"');
    expect((await say('903', 'recall: teal')).reply?.text).toContain('the sandboxed contact likes teal');
    expect((await say('904', 'recall: teal')).reply?.text).toMatch(/\n\[\]$/);
  }, 60_000);

  it('succeeds at every attempt once the owner turns the sandbox off, and warns about it in the check and at every start', async () => {
    await owner.agents.update('default', { sandbox: 'off' });
    const report = await attack();
    expect(report.filter((line) => !line.startsWith('proxy ') && !/: ok/.test(line))).toEqual([]);
    expect(report).toContain(`read ${tokenFilePath(sbHome, 'owner')}: ok ${JSON.stringify(`${readTokenFile(tokenFilePath(sbHome, 'owner'))}\n`)}`);
    expect(report).toContain(`connect 127.0.0.1:${canaryPort}: ok`);
    expect((await owner.agents.check('default')).warning).toMatch(/^sandbox off: contacts' turns run without the OS sandbox/);

    await server.kill('SIGTERM');
    server = await servers.start('restarted unsandboxed', env);
    expect(server.stderr).toMatch(/switchboard: warning: agent default runs its contacts' turns without the OS sandbox/);
  }, START_MS);
});

/** The suite's own PostgreSQL (trust authentication), as a Unix socket path or host:port. */
function testPostgres(): string[] {
  const text = process.env.SB_TEST_PG_URL;
  if (!text) return [];
  const url = new URL(text);
  const socketDir = url.searchParams.get('host');
  const port = url.searchParams.get('port') ?? (url.port || '5432');
  return [socketDir?.startsWith('/') ? `${socketDir}/.s.PGSQL.${port}` : `${url.hostname}:${port}`];
}

describe('contact turns of a CLI agent refuse to run where no sandbox can be set up (real server process, PATH without bubblewrap)', () => {
  const servers = useServerProcesses();
  const dir = mkdtempSync(join(tmpdir(), 'sb-sandbox-missing-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses with how to fix it, says so in the check, and runs once the owner opts out', async () => {
    const sbHome = join(dir, 'sb');
    const server = await servers.start('without-bwrap', { SB_HOME: sbHome, SB_PORT: '0', HOME: join(dir, 'home'), PATH: bin });
    const owner = createApiClient({ baseUrl: server.url, token: readTokenFile(tokenFilePath(sbHome, 'owner')) });
    await owner.agents.update('default', { provider: 'claude', bin: fakeCliBin('claude') });
    const say = () => owner.inbound({ channel: 'telegram', sender: { id: '905' }, messageId: randomUUID(), text: 'hello' }, { wait: true });
    const refused = await say().catch((error: unknown) => error);
    expect(String((refused as Error).message)).toMatch(/none can be set up here: bwrap, socat, rg not found on PATH\. Install bubblewrap, socat and ripgrep/);
    expect(String((refused as Error).message)).toContain('sb agents set default --sandbox off');
    expect(await owner.agents.check('default')).toMatchObject({ ok: false, detail: expect.stringContaining('bwrap, socat, rg not found on PATH') });

    await owner.agents.update('default', { sandbox: 'off' });
    expect((await say()).reply?.text).toMatch(/^claude heard "hello" \(turn 1 of [0-9a-f-]{36}\)$/);
  }, START_MS);
});
