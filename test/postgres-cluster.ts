/**
 * A throwaway PostgreSQL cluster for the tests: initdb into a temp directory, start it on a unix
 * socket with fsync off, stop and delete it afterwards. initdb refuses root, so as root it runs
 * as the `postgres` system user.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';

/** The migrated database each PostgreSQL test file copies. */
export const TEMPLATE_DATABASE = 'sb_test_template';

/**
 * Members of this role must log in with their password (scram-sha-256); everyone else is trusted.
 * A test adds a role to it to prove that a login works by password, as in production.
 */
export const PASSWORD_AUTH_GROUP = 'sb_password_auth';

export interface PostgresCluster {
  baseDir: string;
  binDir: string;
  url: string;
}

/** The newest PostgreSQL >= 15 server binaries on this machine, or undefined. */
export function findPostgresBinDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [env.SB_PG_BIN, ...installedBinDirs()].filter((dir): dir is string => Boolean(dir));
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
}

function installedBinDirs(): string[] {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map(Number)
    .filter((major) => major >= 15)
    .sort((a, b) => b - a)
    .map((major) => join(root, String(major), 'bin'));
}

/** `superuser`: the name of the bootstrap superuser (a Supabase-shaped cluster's is `supabase_admin`). */
export function startPostgresCluster(binDir: string, superuser = 'postgres'): PostgresCluster {
  const baseDir = mkdtempSync('/tmp/sb-pg-');
  const dataDir = join(baseDir, 'data');
  const asRoot = userInfo().uid === 0;
  if (asRoot) chownSync(baseDir, uid('postgres'), gid('postgres'));
  const run = (bin: string, args: string[]) => {
    const command = asRoot ? 'runuser' : join(binDir, bin);
    const argv = asRoot ? ['-u', 'postgres', '--', join(binDir, bin), ...args] : args;
    execFileSync(command, argv, { stdio: 'pipe' });
  };
  const port = 5432;
  run('initdb', ['-D', dataDir, '--no-sync', '-U', superuser, '-A', 'trust', '-E', 'UTF8', '--locale=C']);
  const hba = join(dataDir, 'pg_hba.conf');
  writeFileSync(hba, `local all +${PASSWORD_AUTH_GROUP} scram-sha-256\n${readFileSync(hba, 'utf8')}`);
  const options = `-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c listen_addresses= -k ${baseDir} -p ${port} -c max_connections=300`;
  run('pg_ctl', ['-D', dataDir, '-o', options, '-l', join(baseDir, 'server.log'), '-w', '-t', '60', 'start']);
  return { baseDir, binDir, url: `postgresql://${superuser}@localhost/postgres?host=${encodeURIComponent(baseDir)}&port=${port}` };
}

export function stopPostgresCluster(cluster: Pick<PostgresCluster, 'baseDir' | 'binDir'>): void {
  const dataDir = join(cluster.baseDir, 'data');
  const pgCtl = join(cluster.binDir, 'pg_ctl');
  const args = ['-D', dataDir, '-m', 'immediate', '-w', 'stop'];
  try {
    if (userInfo().uid === 0) execFileSync('runuser', ['-u', 'postgres', '--', pgCtl, ...args], { stdio: 'pipe' });
    else execFileSync(pgCtl, args, { stdio: 'pipe' });
  } finally {
    rmSync(cluster.baseDir, { recursive: true, force: true });
  }
}

/** The same server with another database name. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

function uid(user: string): number {
  return Number(execFileSync('id', ['-u', user]).toString().trim());
}

function gid(user: string): number {
  return Number(execFileSync('id', ['-g', user]).toString().trim());
}
