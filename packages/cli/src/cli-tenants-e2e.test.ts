import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cleanEnv, SB, startServe, stop } from '../../../test/sb-process';

const run = promisify(execFile);

describe('sb tenants against the real server (spawns `sb serve` on embedded PGlite)', () => {
  let home = '';
  let server: ChildProcess | undefined;
  let env: NodeJS.ProcessEnv = {};
  const sb = async (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    run(process.execPath, [SB, ...args], { env: { ...env, ...extra }, timeout: 30_000 }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? -1, stdout: error.stdout ?? '', stderr: error.stderr ?? '' }));

  beforeAll(async () => {
    if (!existsSync(SB)) throw new Error(`${SB} is missing: run \`npx tsc -b\` first`);
    home = mkdtempSync(join(tmpdir(), 'sb-e2e-tenants-'));
    const started = await startServe(home);
    server = started.server;
    env = cleanEnv({ SB_URL: started.url, SB_HOME: home });
  }, 60_000);

  afterAll(async () => {
    if (server) await stop(server);
    if (home) rmSync(home, { recursive: true, force: true });
  }, 20_000);

  it('adds a tenant whose owner token serves its own contacts while the default tenant sees none of them, then erases it', async () => {
    expect(statSync(join(home, 'admin-token')).mode & 0o777).toBe(0o600);
    const added = await sb(['tenants', 'add', 'acme', '--name', 'Acme']);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    const token = added.stdout.trimEnd().split('\n').at(-1) ?? '';
    expect(token).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(readFileSync(join(home, 'admin-token'), 'utf8')).not.toContain(token);

    const acme = { SB_OWNER_TOKEN: token };
    expect(await sb(['chat', '--sender', 'telegram:7', '-m', 'hello from acme'], acme)).toMatchObject({ code: 0, stdout: 'echo: hello from acme\n' });
    const acmeContacts = JSON.parse((await sb(['contacts', '--json'], acme)).stdout) as { identities: unknown[] }[];
    expect(acmeContacts.map((c) => c.identities)).toEqual([[{ channel: 'telegram', externalId: '7' }]]);
    expect(JSON.parse((await sb(['contacts', '--json'])).stdout)).toEqual([]);

    const listed = JSON.parse((await sb(['tenants', 'list', '--json'])).stdout) as { slug: string }[];
    expect(listed.map((t) => t.slug)).toEqual(['default', 'acme']);
    expect((await sb(['tenants', 'list'])).stdout).toMatch(/acme\s.*Acme/);
    // A name is the admin's text, but it still reaches a terminal: escape sequences arrive inert.
    const hostile = await sb(['tenants', 'add', 'hostile', '--name', 'Evil\u001b]0;owned\u0007\u001b[2J']);
    expect(hostile.code).toBe(0);
    const shown = (await sb(['tenants', 'list'])).stdout;
    expect(shown).toMatch(/hostile/);
    expect(shown).not.toMatch(/\u001b|\u0007/);
    expect(await sb(['tenants', 'add', '../etc'])).toMatchObject({ code: 1, stdout: '' });
    expect((await sb(['tenants', 'rm', 'hostile', '--yes'])).code).toBe(0);

    const asOwner = await sb(['tenants', 'list'], { SB_ADMIN_TOKEN: readFileSync(join(home, 'owner-token'), 'utf8').trim() });
    expect(asOwner).toMatchObject({ code: 1, stdout: '' });
    expect(asOwner.stderr).toMatch(/may not use this route/);

    const unsure = await sb(['tenants', 'rm', 'acme']);
    expect(unsure).toMatchObject({ code: 1, stdout: '' });
    expect(unsure.stderr).toMatch(/--yes/);
    expect(await sb(['contacts', '--json'], acme)).toMatchObject({ code: 0 });

    const erased = await sb(['tenants', 'rm', 'acme', '--yes']);
    expect(erased).toMatchObject({ code: 0, stderr: '' });
    expect(erased.stdout).toMatch(/^erased tenant acme: .*1 contacts/);
    const rejected = await sb(['contacts'], acme);
    expect(rejected).toMatchObject({ code: 1, stdout: '' });
    expect(rejected.stderr).toMatch(/the owner token was rejected .*SB_OWNER_TOKEN does not match/);
    expect(JSON.parse((await sb(['tenants', '--json'])).stdout).map((t: { slug: string }) => t.slug)).toEqual(['default']);
  }, 60_000);

  it('links a Supabase Auth user as the owner of a new tenant, by email or by user id, and refuses both at once or a bad id', async () => {
    const byEmail = await sb(['tenants', 'add', 'beta', '--owner-email', 'Bea@Example.com']);
    expect(byEmail).toMatchObject({ code: 0, stderr: '' });
    expect(byEmail.stdout).toMatch(/^created tenant beta \(.+\), owned by bea@example\.com from its first sign-in; its owner token/);
    const userId = '5f0e8a2c-3b1d-4c6e-9a7f-0d2b4e6f8a1c';
    const byUser = JSON.parse((await sb(['tenants', 'add', 'gamma', '--owner-user', userId, '--json'])).stdout) as { member?: unknown };
    expect(byUser.member).toEqual({ userId, email: null, role: 'owner' });
    const both = await sb(['tenants', 'add', 'delta', '--owner-email', 'x@example.com', '--owner-user', userId]);
    expect(both).toMatchObject({ code: 1, stdout: '' });
    expect(both.stderr).toMatch(/--owner-email or --owner-user, not both/);
    const badId = await sb(['tenants', 'add', 'delta', '--owner-user', 'bea']);
    expect(badId).toMatchObject({ code: 1, stdout: '' });
    expect(badId.stderr).toMatch(/a Supabase Auth user id/);
    const taken = await sb(['tenants', 'add', 'delta', '--owner-user', userId]);
    expect(taken).toMatchObject({ code: 1, stdout: '' });
    expect(taken.stderr).toMatch(/already owns a tenant/);
  }, 60_000);

  it('links owners to an existing tenant, lists them, and unlinks them by id or by address', async () => {
    expect((await sb(['tenants', 'add', 'zeta'])).code).toBe(0);
    const userId = '0c6b1f5e-7d2a-4e8b-b3c9-5a1d7e9f2b40';
    expect(await sb(['tenants', 'link', 'zeta', '--owner-user', userId])).toMatchObject({ code: 0, stdout: `linked ${userId} as an owner of zeta\n` });
    expect(await sb(['tenants', 'link', 'zeta', '--owner-email', 'Zed@Example.com'])).toMatchObject({
      code: 0, stdout: 'linked zed@example.com (from its first sign-in) as an owner of zeta\n',
    });
    const members = JSON.parse((await sb(['tenants', 'members', 'zeta', '--json'])).stdout) as unknown[];
    expect(members).toEqual([{ userId, email: null, role: 'owner' }, { userId: null, email: 'zed@example.com', role: 'owner' }]);
    expect((await sb(['tenants', 'members', 'zeta'])).stdout).toMatch(/zed@example\.com/);

    const neither = await sb(['tenants', 'link', 'zeta']);
    expect(neither).toMatchObject({ code: 1, stdout: '' });
    expect(neither.stderr).toMatch(/--owner-email or --owner-user/);
    expect(await sb(['tenants', 'link', 'nosuch', '--owner-user', userId])).toMatchObject({ code: 1, stdout: '' });
    expect((await sb(['tenants', 'unlink', 'zeta', 'somebody'])).stderr).toMatch(/a Supabase Auth user id \(a uuid\) or an email address/);

    expect(await sb(['tenants', 'unlink', 'zeta', userId])).toMatchObject({ code: 0, stdout: `unlinked ${userId} from zeta\n` });
    expect((await sb(['tenants', 'unlink', 'zeta', 'zed@example.com'])).code).toBe(0);
    expect(JSON.parse((await sb(['tenants', 'members', 'zeta', '--json'])).stdout)).toEqual([]);
    const again = await sb(['tenants', 'unlink', 'zeta', userId]);
    expect(again).toMatchObject({ code: 1, stdout: '' });
    expect(again.stderr).toMatch(/not found/);
  }, 60_000);
});
