/**
 * The owner, gateway and admin tokens: from the environment when set, else read from
 * `$SB_HOME/owner-token`, `gateway-token` and `admin-token`, generated there on first start (mode 0600,
 * linked into place exclusively so two starting processes agree on one token).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadOrCreateSecretFile } from '../home/home-secret-file';
import type { TokenKind } from './token-repo';

export const TOKEN_FILES: Record<TokenKind, string> = { owner: 'owner-token', gateway: 'gateway-token', admin: 'admin-token' };

export function tokenFilePath(home: string, kind: TokenKind): string {
  return join(home, TOKEN_FILES[kind]);
}

/** The token of this kind: the override, else the file's, else a new one written to the file. */
export function loadOrCreateToken(home: string, kind: TokenKind, override: string | undefined): string {
  if (override) return override;
  const path = tokenFilePath(home, kind);
  const token = loadOrCreateSecretFile(path);
  if (token.length < 16) throw new Error(`${path} does not hold a token`);
  return token;
}

export function readTokenFile(path: string): string {
  const token = readFileSync(path, 'utf8').trim();
  if (token.length < 16) throw new Error(`${path} does not hold a token`);
  return token;
}
