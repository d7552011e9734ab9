/**
 * The owner and gateway tokens: from the environment when set, else read from
 * `$SB_HOME/owner-token` and `$SB_HOME/gateway-token`, generated there on first start (mode 0600,
 * linked into place exclusively so two starting processes agree on one token).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TokenKind } from './token-repo';

export const TOKEN_FILES: Record<TokenKind, string> = { owner: 'owner-token', gateway: 'gateway-token' };

export function tokenFilePath(home: string, kind: TokenKind): string {
  return join(home, TOKEN_FILES[kind]);
}

/** The token of this kind: the override, else the file's, else a new one written to the file. */
export function loadOrCreateToken(home: string, kind: TokenKind, override: string | undefined): string {
  if (override) return override;
  const path = tokenFilePath(home, kind);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  // Written aside, then linked into place: a reader never sees a half-written file.
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
  return readTokenFile(path);
}

export function readTokenFile(path: string): string {
  const token = readFileSync(path, 'utf8').trim();
  if (token.length < 16) throw new Error(`${path} does not hold a token`);
  return token;
}
