/**
 * A secret kept in a file of `$SB_HOME` (mode 0600): read when it exists, else generated there.
 * The new secret is written aside and linked into place exclusively, so a reader never sees a
 * half-written file and two processes starting at once agree on one secret.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** The file's secret (trimmed), generated as 32 random bytes in base64url when the file is missing. */
export function loadOrCreateSecretFile(path: string): string {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
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
  return readFileSync(path, 'utf8').trim();
}
