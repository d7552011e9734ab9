/**
 * The role requests log in as on PostgreSQL. The schema owner (DATABASE_URL) keeps one per database,
 * `sb_login_<database>`: LOGIN NOINHERIT, a member of sb_app and of nothing else, its password in
 * $SB_HOME (set as a SCRAM verifier, never sent in clear). Requests SET ROLE sb_app; RESET ROLE leaves
 * them with no privileges. A role that others are logged in as is never given a new password. Before
 * serving, the login is checked: it must reach no superuser, BYPASSRLS, CREATEROLE or owner role.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { APP_ROLE, type Db } from './db';
import { LOGIN_PASSWORD_FILE, loadOrCreateLoginPassword } from './pg-login-password';

/** Processes starting together create, repair or grant the role one at a time (per database). */
const ROLE_LOCK_KEY = 7_311_402_902;

/** The generated login role of a database: its name when that is a plain identifier, else a hash. */
export function loginRoleName(database: string): string {
  const suffix = /^[a-z0-9_]{1,54}$/.test(database) ? database : createHash('sha256').update(database).digest('hex').slice(0, 16);
  return `sb_login_${suffix}`;
}

/** Creates or repairs the login role with the owner's connection; returns the URL requests log in with. */
export async function prepareLoginRole(owner: Db, ownerUrl: string, home: string): Promise<string> {
  const { rows } = await owner.adminTransaction((tx) => tx.query<{ database: string }>('select current_database() as database'));
  const role = loginRoleName(rows[0]?.database ?? '');
  const password = loadOrCreateLoginPassword(home);
  const url = loginUrl(ownerUrl, role, password);
  if (!(await canLogIn(url))) {
    await owner.adminTransaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock($1)', [ROLE_LOCK_KEY]);
      // A process that started at the same moment with the same password may have set it meanwhile.
      if (await canLogIn(url)) return;
      const { rows: state } = await tx.query<{ exists: boolean; in_use: boolean }>(
        `select exists (select 1 from pg_roles where rolname = $1) as exists,
           exists (select 1 from pg_stat_activity where usename = $1) as in_use`,
        [role],
      );
      if (state[0]?.in_use) {
        throw new Error(`Database role ${role} is in use by another process with another password: give every process on this ` +
          `database the same $SB_HOME/${LOGIN_PASSWORD_FILE}, or set SB_APP_DATABASE_URL`);
      }
      await tx.exec(upsertRoleSql(role, scramVerifier(password), state[0]?.exists ?? false));
    });
    if (!(await canLogIn(url))) {
      throw new Error(`Database role ${role} cannot log in with the password in $SB_HOME/${LOGIN_PASSWORD_FILE}: allow it ` +
        'password (scram-sha-256) authentication in pg_hba.conf, and give processes that start together the same file');
    }
  }
  await owner.adminTransaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [ROLE_LOCK_KEY]);
    const { rows: member } = await tx.query<{ is: boolean }>(`select pg_has_role($1, '${APP_ROLE}', 'MEMBER') as is`, [role]);
    if (!member[0]?.is) await tx.exec(`grant ${APP_ROLE} to ${role}`);
  });
  return url;
}

/** Refuses a request login that could leave row-level security or become the schema owner. */
export async function assertUnprivilegedLogin(db: Db): Promise<void> {
  const { rows } = await db.unscopedTransaction((tx) =>
    tx.query<{ role: string; reaches: string | null }>(
      `select session_user as role, (
         select string_agg(r.rolname, ', ' order by r.rolname) from pg_roles r
         where pg_has_role(session_user, r.oid, 'MEMBER')
           and (r.rolsuper or r.rolbypassrls or r.rolcreaterole
                or exists (select 1 from pg_class c where c.relowner = r.oid and c.relname = 'sb_migrations'))
       ) as reaches`,
    )).catch((error: unknown) => {
    throw new Error(`Requests cannot act as ${APP_ROLE} (grant ${APP_ROLE} to their login role)`, { cause: error });
  });
  const row = rows[0];
  if (row?.reaches) {
    throw new Error(`Requests log in as ${row.role}, which can act as ${row.reaches} (superuser, BYPASSRLS, CREATEROLE or ` +
      'the schema owner): give them a role that is none of these');
  }
}

function loginUrl(ownerUrl: string, role: string, password: string): string {
  let url: URL;
  try {
    url = new URL(ownerUrl);
  } catch (error) {
    throw new Error('DATABASE_URL must be a postgres:// URL to derive the login role from it; or set SB_APP_DATABASE_URL', { cause: error });
  }
  url.username = role;
  url.password = password;
  url.searchParams.delete('user');
  url.searchParams.delete('password');
  return url.toString();
}

/** False when the server refuses the login itself (no such role, no LOGIN, wrong password). */
async function canLogIn(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === '28P01' || code === '28000') return false;
    throw error;
  }
  await client.end();
  return true;
}

/** The name and verifier are checked identifiers and base64, so they are safe to inline. */
function upsertRoleSql(role: string, verifier: string, exists: boolean): string {
  if (!/^sb_login_[a-z0-9_]+$/.test(role) || !/^[A-Za-z0-9$:+/=-]+$/.test(verifier)) throw new Error('unexpected login role name or verifier');
  return exists
    ? `alter role ${role} login noinherit password '${verifier}'`
    : `create role ${role} login noinherit password '${verifier}'`;
}

/** PostgreSQL's SCRAM-SHA-256 verifier of a password (RFC 5802, 4096 iterations). */
function scramVerifier(password: string): string {
  const salt = randomBytes(16);
  const iterations = 4096;
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
