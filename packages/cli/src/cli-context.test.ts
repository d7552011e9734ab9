import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeServer, FAKE_TOKEN, FAKE_URL, runSb } from './cli-fake-server';

async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  return `http://127.0.0.1:${port}`;
}

describe('cli context: connection and token', () => {
  it('says Switchboard is not running at the URL when nothing listens there, in one line without a stack', async () => {
    const url = await closedPortUrl();
    const result = await runSb(['contacts'], { env: { SB_URL: url, SB_OWNER_TOKEN: FAKE_TOKEN } });
    expect(result).toEqual({ code: 1, stdout: '', stderr: `sb: Switchboard is not running at ${url} (start it with \`sb serve\`)\n` });
  });

  it('lets --url override SB_URL', async () => {
    const url = await closedPortUrl();
    const result = await runSb(['--url', url, 'memories'], { env: { SB_URL: 'http://127.0.0.1:1', SB_OWNER_TOKEN: FAKE_TOKEN } });
    expect(result.stderr).toBe(`sb: Switchboard is not running at ${url} (start it with \`sb serve\`)\n`);
  });

  it('defaults to 127.0.0.1 on SB_PORT', async () => {
    const url = await closedPortUrl();
    const result = await runSb(['agents'], { env: { SB_PORT: new URL(url).port, SB_OWNER_TOKEN: FAKE_TOKEN } });
    expect(result.stderr).toContain(`not running at ${url} `);
  });

  it('explains a rejected SB_OWNER_TOKEN', async () => {
    const result = await createFakeServer().run(['contacts'], { env: { SB_OWNER_TOKEN: 'not-the-owner-token' } });
    expect(result).toEqual({ code: 1, stdout: '', stderr: `sb: the owner token was rejected by ${FAKE_URL} (SB_OWNER_TOKEN does not match the server's owner token)\n` });
  });

  it('reads the owner token from $SB_HOME/owner-token and names that file when it is rejected', async () => {
    const home = mkdtempSync(join(tmpdir(), 'sb-cli-'));
    const server = createFakeServer();
    writeFileSync(join(home, 'owner-token'), `${FAKE_TOKEN}\n`);
    expect((await server.run(['contacts'], { env: { SB_OWNER_TOKEN: undefined, SB_HOME: home } })).code).toBe(0);
    writeFileSync(join(home, 'owner-token'), 'another-servers-token\n');
    const rejected = await server.run(['contacts'], { env: { SB_OWNER_TOKEN: undefined, SB_HOME: home } });
    expect(rejected.stderr).toBe(`sb: the owner token was rejected by ${FAKE_URL} (the token in ${join(home, 'owner-token')} belongs to another server: set SB_HOME or SB_OWNER_TOKEN)\n`);
  });

  it('asks to start the server first when there is no token file', async () => {
    const home = mkdtempSync(join(tmpdir(), 'sb-cli-'));
    const result = await createFakeServer().run(['contacts'], { env: { SB_OWNER_TOKEN: undefined, SB_HOME: home } });
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'sb: no owner token: start the server with `sb serve` first or set SB_OWNER_TOKEN\n' });
  });

  it('rejects a --url that is not http(s)', async () => {
    const result = await createFakeServer().run(['--url', 'ftp://example.com', 'contacts']);
    expect(result).toMatchObject({ code: 1, stderr: 'sb: --url: expected an http:// or https:// URL\n' });
  });
});
