/**
 * Files only the server's user can read, with real server processes: after a start on a fresh
 * SB_HOME (`node packages/api/dist/main.js` and `sb serve`, PGlite and PostgreSQL) SB_HOME, the
 * PGlite data directory and every directory in them are 0700 and every file 0600. An existing
 * installation left readable by others is tightened at start (an executable keeps its owner's
 * execute bit), and a symbolic link in it is not followed out of SB_HOME.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { availableEngines, createEmptyPostgresDatabase } from '../engines';
import { startServeWith } from '../sb-process';
import { useServerProcesses } from '../server-process';

/** `path: mode` (octal) of SB_HOME itself and everything in it, links left out. */
function modesUnder(home: string): Record<string, string> {
  const modes: Record<string, string> = { '.': (lstatSync(home).mode & 0o7777).toString(8) };
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isSymbolicLink()) continue;
      modes[relative(home, path)] = (lstatSync(path).mode & 0o7777).toString(8);
      if (entry.isDirectory()) walk(path);
    }
  };
  walk(home);
  return modes;
}

/** The entries whose mode is not the private one: 700 for directories (and sockets), 600 for files. */
function notPrivate(home: string, allowed: Record<string, string> = {}): Record<string, string> {
  const loose: Record<string, string> = {};
  for (const [path, mode] of Object.entries(modesUnder(home))) {
    const stat = lstatSync(join(home, path));
    const wanted = allowed[path] ?? (stat.isDirectory() || stat.isSocket() ? '700' : '600');
    if (mode !== wanted) loose[path] = mode;
  }
  return loose;
}

/** Makes everything under `dir` readable by everyone, as an older version or a careless copy might have. */
function loosen(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink() || entry.isSocket()) continue;
    if (entry.isDirectory()) loosen(path);
    else chmodSync(path, 0o644);
  }
}

describe('SB_HOME and the data directory are private to the server user', () => {
  const servers = useServerProcesses();
  const homes: string[] = [];
  const drops: Array<() => Promise<void>> = [];
  const newHome = () => {
    const home = mkdtempSync(join(tmpdir(), 'sb-modes-'));
    chmodSync(home, 0o755); // as a user's umask would have made it
    homes.push(home);
    return home;
  };

  afterAll(async () => {
    for (const drop of drops) await drop();
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  }, 60_000);

  it('starts a fresh PGlite installation with 0700 directories and 0600 files, and tightens a loose one at restart', async () => {
    const home = newHome();
    const env = { SB_HOME: home, SB_PORT: '0' };
    const first = await servers.start('modes-fresh', env);
    const fresh = modesUnder(home);
    expect(fresh).toMatchObject({ '.': '700', data: '700', 'owner-token': '600', 'gateway-token': '600', workspaces: '700' });
    expect(Object.keys(fresh).filter((path) => path.startsWith('data/')).length).toBeGreaterThan(50);
    expect(notPrivate(home)).toEqual({});
    await first.kill('SIGTERM');

    // An installation left readable by others, with what turns leave in it.
    loosen(home);
    mkdirSync(join(home, 'contacts', 'someone', '.local', 'bin'), { recursive: true, mode: 0o777 });
    writeFileSync(join(home, 'contacts', 'someone', '.local', 'bin', 'tool'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(join(home, 'workspaces', 'notes.md'), 'hello', { mode: 0o666 });
    const outside = join(newHome(), 'outside.txt');
    writeFileSync(outside, 'not switchboard’s');
    chmodSync(outside, 0o644);
    symlinkSync(outside, join(home, 'workspaces', 'link'));
    chmodSync(join(home, 'workspaces', 'notes.md'), 0o666);
    chmodSync(join(home, 'contacts', 'someone', '.local', 'bin', 'tool'), 0o755);
    expect(Object.keys(notPrivate(home)).length).toBeGreaterThan(50);

    const second = await servers.start('modes-loose', env);
    expect(notPrivate(home, { 'contacts/someone/.local/bin/tool': '700' })).toEqual({});
    expect((lstatSync(outside).mode & 0o777).toString(8)).toBe('644');
    await second.kill('SIGTERM');
  }, 180_000);

  it('starts `sb serve` on a fresh PGlite installation with nothing readable by others', async () => {
    const home = newHome();
    const { server } = await startServeWith({ SB_HOME: home, SB_OWNER_TOKEN: randomBytes(24).toString('hex') }, '--no-gateway');
    try {
      expect(modesUnder(home)).toMatchObject({ '.': '700', data: '700', 'gateway-token': '600' });
      expect(notPrivate(home)).toEqual({});
    } finally {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
  }, 120_000);

  if (availableEngines().includes('postgres')) {
    it('keeps SB_HOME private on PostgreSQL too (tokens and the login role’s password)', async () => {
      const home = newHome();
      const database = await createEmptyPostgresDatabase();
      drops.push(database.drop);
      const server = await servers.start('modes-postgres', { SB_HOME: home, SB_PORT: '0', DATABASE_URL: database.url });
      expect(modesUnder(home)).toMatchObject({ '.': '700', 'owner-token': '600', 'gateway-token': '600' });
      expect(notPrivate(home)).toEqual({});
      await server.kill('SIGTERM');
    }, 120_000);
  }
});
