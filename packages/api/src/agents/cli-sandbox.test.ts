import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { runCliProcess } from './cli-process';
import { createCliSandbox, type SandboxSpec } from './cli-sandbox';
import { FAKE_CLI_DIR } from '../../../../test/fake-cli-calls';

const STAND_IN = join(FAKE_CLI_DIR, 'fake-sandboxed.js');
const PROXY_VARIABLES = ['HTTPS_PROXY', 'HTTP_PROXY', 'http_proxy', 'https_proxy'];

interface Printed { argv: string[]; env: string[]; cwd: string; report: string | null }

describe('the CLI sandbox (bubblewrap and a filtering proxy per allowlist, with a stand-in CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-cli-sandbox-'));
  const workspace = join(dir, 'sb', 'workspaces', 'default', 'c1');
  mkdirSync(workspace, { recursive: true });
  const sandbox = createCliSandbox({ env: { PATH: process.env.PATH, HOME: join(dir, 'server-home') }, home: join(dir, 'sb') });
  let canary: Server;
  let canaryPort = 0;
  beforeAll(async () => {
    canary = createServer((socket) => socket.on('error', () => socket.destroy()).end('canary\n')).listen(0, '127.0.0.1');
    await once(canary, 'listening');
    canaryPort = (canary.address() as { port: number }).port;
  });
  afterAll(async () => {
    canary.close();
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const spec = (overrides: Partial<SandboxSpec> = {}): SandboxSpec => ({
    agent: 'default', bin: STAND_IN, args: [], env: { PATH: '/usr/bin:/bin', HOME: workspace }, cwd: workspace,
    writable: [workspace], readable: [], hosts: [], ...overrides,
  });
  const runIn = async (overrides: Partial<SandboxSpec>): Promise<Printed> => {
    const command = await sandbox.wrap(spec(overrides));
    const result = await runCliProcess({ ...command, cwd: workspace, timeoutMs: 30_000, signal: new AbortController().signal });
    expect(result).toMatchObject({ code: 0 });
    return JSON.parse(result.stdout) as Printed;
  };

  it('hands every argument to the CLI exactly, whatever quotes, $(), backticks, newlines or leading dashes it holds (fast-check)', async () => {
    const nasty = fc.constantFrom('$(touch /tmp/x)', '`id`', '\'', '"', '\'"\'"\'', '--help', '-p', '--', '\n', '$HOME', '*', '\\', ';', '&&', '|', '${IFS}', ' ');
    const argument = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), nasty, fc.array(nasty).map((parts) => parts.join('')))
      .filter((text) => !text.includes('\u0000'));
    await fc.assert(fc.asyncProperty(fc.array(argument, { maxLength: 12 }), async (args) => {
      expect((await runIn({ args })).argv).toEqual(args);
    }), { seed: 20261206, numRuns: 25 });
  }, 120_000);

  it('gives the CLI exactly the environment it is given, plus the proxy variables, in its working directory', async () => {
    const printed = await runIn({ env: { PATH: '/usr/bin:/bin', HOME: workspace, SB_TURN_TOKEN: 'sbt_x', ANTHROPIC_API_KEY: 'k' } });
    expect(printed.env).toEqual(['ANTHROPIC_API_KEY', 'HOME', 'PATH', 'SB_TURN_TOKEN', ...PROXY_VARIABLES].sort());
    expect(printed.cwd).toBe(workspace);
  });

  it('lets each allowlist through its own proxy only: a host one agent allows stays closed to another\'s turns', async () => {
    const probe = [`probe ${JSON.stringify({ connect: [`127.0.0.1:${canaryPort}`], proxy: [`127.0.0.1:${canaryPort}`] })}`];
    const allowed = await runIn({ args: probe, hosts: [`127.0.0.1:${canaryPort}`] });
    const other = await runIn({ args: probe, hosts: ['api.anthropic.com'] });
    expect(allowed.report).toBe(`connect 127.0.0.1:${canaryPort}: failed ECONNREFUSED\nproxy 127.0.0.1:${canaryPort}: ok`);
    expect(other.report).toBe(`connect 127.0.0.1:${canaryPort}: failed ECONNREFUSED\nproxy 127.0.0.1:${canaryPort}: failed 403`);
    // The first allowlist's proxy still refuses what it never allowed.
    const again = await runIn({ args: [`probe ${JSON.stringify({ proxy: ['127.0.0.1:5432', `localhost:${canaryPort}`] })}`], hosts: [`127.0.0.1:${canaryPort}`] });
    expect(again.report).toBe(`proxy 127.0.0.1:5432: failed 403\nproxy localhost:${canaryPort}: failed 403`);
  });

  it('shows a script CLI its interpreter where that lives outside /usr (node installed by nvm, say)', async () => {
    const tools = join(dir, 'tools', 'bin');
    const app = join(dir, 'app');
    mkdirSync(tools, { recursive: true });
    mkdirSync(app);
    writeFileSync(join(tools, 'mynode'), `#!/bin/sh\nexec ${process.execPath} "$@"\n`, { mode: 0o755 });
    writeFileSync(join(app, 'cli.js'), '#!/usr/bin/env mynode\nprocess.stdout.write(JSON.stringify({ argv: process.argv.slice(2), env: [], cwd: process.cwd(), report: null }));\n', { mode: 0o755 });
    const withTools = createCliSandbox({ env: { PATH: `${tools}:${process.env.PATH}` }, home: join(dir, 'sb') });
    const command = await withTools.wrap(spec({ bin: join(app, 'cli.js'), args: ['--', 'hi'], env: { PATH: `${tools}:/usr/bin:/bin`, HOME: workspace } }));
    const result = await runCliProcess({ ...command, cwd: workspace, timeoutMs: 30_000, signal: new AbortController().signal });
    await withTools.close();
    expect(JSON.parse(result.stdout)).toMatchObject({ argv: ['--', 'hi'] });
  });

  it('refuses, saying how to fix it, when bubblewrap is not installed', async () => {
    const bin = join(dir, 'bin-without-bwrap');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const bare = createCliSandbox({ env: { PATH: bin }, home: join(dir, 'sb') });
    expect(await bare.status()).toEqual({ ok: false, detail: 'bwrap, socat, rg not found on PATH' });
    await expect(bare.wrap(spec())).rejects.toMatchObject({
      code: 'upstream_failed',
      message: expect.stringMatching(/none can be set up here: bwrap, socat, rg not found on PATH\. Install bubblewrap, socat and ripgrep .*sb agents set default --sandbox off$/),
    });
  });

  it('refuses a CLI whose install directory would show SB_HOME or the server user\'s home inside the sandbox', async () => {
    const exposing = [
      createCliSandbox({ env: { PATH: process.env.PATH }, home: FAKE_CLI_DIR }),
      createCliSandbox({ env: { PATH: process.env.PATH }, home: dirname(FAKE_CLI_DIR) }),
      createCliSandbox({ env: { PATH: process.env.PATH, HOME: join(FAKE_CLI_DIR, 'home') }, home: join(dir, 'sb') }),
    ];
    for (const refusing of exposing) {
      await expect(refusing.wrap(spec())).rejects.toMatchObject({ message: expect.stringContaining(`its directory ${FAKE_CLI_DIR} would show`) });
      await refusing.close();
    }
  });
});
