/**
 * Every failure ends as one line on stderr. Connection failures name the URL and what to do; the
 * server's invalid-input issues are summarised; only errors that are bugs keep their stack.
 */
import { z } from 'zod';
import { AppError } from '@switchboard/shared';

/** Where the token came from (the owner's, or the installation admin's), so a rejected token can be explained. */
export type TokenSource = ({ kind: 'env' } | { kind: 'file'; path: string }) & { role?: 'owner' | 'admin' };

/** Rewrites "cannot reach" and "token rejected" into messages that say what to do. */
export function explainConnectionError(error: unknown, url: string, tokenSource: TokenSource): unknown {
  if (!(error instanceof AppError)) return error;
  if (error.code === 'unavailable') {
    return new AppError('unavailable', `Switchboard is not running at ${url} (start it with \`sb serve\`)`, { cause: error });
  }
  if (error.code === 'unauthorized') {
    const role = tokenSource.role ?? 'owner';
    const variable = role === 'admin' ? 'SB_ADMIN_TOKEN' : 'SB_OWNER_TOKEN';
    const hint = tokenSource.kind === 'env'
      ? `${variable} does not match the server's ${role} token`
      : `the token in ${tokenSource.path} belongs to another server: set SB_HOME or ${variable}`;
    return new AppError('unauthorized', `the ${role} token was rejected by ${url} (${hint})`, { cause: error });
  }
  return error;
}

const Issues = z.array(z.object({ path: z.array(z.union([z.string(), z.number()])), message: z.string() }));

/** One line describing the failure. */
export function formatCliError(error: unknown): string {
  if (error instanceof AppError) return oneLine(`${error.message}${describeDetails(error)}`);
  if (error instanceof z.ZodError) {
    return oneLine(`unexpected response from the server: ${error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return error instanceof Error ? `unexpected error: ${error.stack ?? error.message}` : `unexpected error: ${String(error)}`;
}

function describeDetails(error: AppError): string {
  if (error.code !== 'invalid_input') return '';
  const issues = Issues.safeParse(error.details);
  if (!issues.success || issues.data.length === 0) return '';
  return `: ${issues.data.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ')}`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}
