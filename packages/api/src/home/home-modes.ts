/**
 * `$SB_HOME` is readable by the server's user only: the directory and every directory in it 0700,
 * every file 0600 (an executable a CLI keeps in its home: 0700). New files get that from the
 * process umask (`HOME_UMASK`, set by the composition root before the database opens); an existing
 * installation is tightened at start, and PGlite's data directory once more after it opened (its
 * first start sets its files to 0666 itself). Symbolic links are never followed.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The umask of a server process: nothing it creates is readable by group or others. */
export const HOME_UMASK = 0o077;

/** Makes `dir` (created if missing) and everything in it private to its user; returns what could not be changed. */
export function makePrivate(dir: string): string[] {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const failures: string[] = [];
  tighten(dir, failures);
  return failures;
}

function tighten(path: string, failures: string[]): void {
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (!stat || stat.isSymbolicLink()) return;
  const mode = stat.mode & 0o7777;
  const wanted = stat.isDirectory() ? 0o700 : mode & 0o700;
  try {
    if (mode !== wanted) chmodSync(path, wanted);
  } catch (error) {
    failures.push(`${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    return;
  }
  if (!stat.isDirectory()) return;
  for (const name of readdirSync(path)) tighten(join(path, name), failures);
}
