/**
 * The calls the fake agent CLIs (packages/api/src/agents/fixtures) recorded: each keeps a
 * `calls.jsonl` in its own state directory, which lies in the turn's CLI home (a contact's under
 * `$SB_HOME/contacts/<id>`, the owner's full turns under the server's HOME). `readFakeCalls(root)`
 * finds every such file below `root` and returns the calls in the order they were made.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FakeCall {
  cli: 'claude' | 'codex' | 'opencode';
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  at: number;
  tick: string;
  prompt: string | null;
  settings?: string | null;
  mcpConfig?: unknown;
  projectConfig?: unknown;
  sandbox?: string | null;
}

export const FAKE_CLI_DIR = join(__dirname, '..', 'packages', 'api', 'src', 'agents', 'fixtures');

/** The fake executable of a CLI. */
export function fakeCliBin(cli: FakeCall['cli']): string {
  return join(FAKE_CLI_DIR, `fake-${cli}.js`);
}

/** Every call recorded below `root` (optionally of one CLI), oldest first. */
export function readFakeCalls(root: string, cli?: FakeCall['cli']): FakeCall[] {
  const calls = findCallFiles(root).flatMap((file) =>
    readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as FakeCall));
  return calls.filter((call) => cli === undefined || call.cli === cli).sort((a, b) => (BigInt(a.tick) < BigInt(b.tick) ? -1 : 1));
}

function findCallFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return findCallFiles(path);
    return entry.name === 'calls.jsonl' ? [path] : [];
  });
}
