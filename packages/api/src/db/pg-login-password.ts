/**
 * The password of the generated PostgreSQL login role: `$SB_HOME/database-password` (mode 0600),
 * generated on first start and linked into place exclusively, so two starting processes agree.
 * Processes on other machines that share the database need the same file (or SB_APP_DATABASE_URL).
 */
import { join } from 'node:path';
import { loadOrCreateSecretFile } from '../home/home-secret-file';

export const LOGIN_PASSWORD_FILE = 'database-password';

/** Letters, digits, `-` and `_` only: it is written into a `CREATE ROLE` statement as a literal. */
const PASSWORD = /^[A-Za-z0-9_-]{32,128}$/;

export function loadOrCreateLoginPassword(home: string): string {
  const path = join(home, LOGIN_PASSWORD_FILE);
  const password = loadOrCreateSecretFile(path);
  if (!PASSWORD.test(password)) throw new Error(`${path} does not hold a database password (32 to 128 of A-Z a-z 0-9 - _)`);
  return password;
}
