/**
 * The password of the generated PostgreSQL login role: `$SB_HOME/database-password` (mode 0600),
 * generated on first start and linked into place exclusively, so two starting processes agree.
 * Processes on other machines that share the database need the same file (or SB_APP_DATABASE_URL).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOGIN_PASSWORD_FILE = 'database-password';

/** Letters, digits, `-` and `_` only: it is written into a `CREATE ROLE` statement as a literal. */
const PASSWORD = /^[A-Za-z0-9_-]{32,128}$/;

export function loadOrCreateLoginPassword(home: string): string {
  const path = join(home, LOGIN_PASSWORD_FILE);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const draft = `${path}.${process.pid}.tmp`;
  writeFileSync(draft, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  try {
    linkSync(draft, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(draft);
  }
  chmodSync(path, 0o600);
  const password = readFileSync(path, 'utf8').trim();
  if (!PASSWORD.test(password)) throw new Error(`${path} does not hold a database password (32 to 128 of A-Z a-z 0-9 - _)`);
  return password;
}
