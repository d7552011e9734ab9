import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Agent, ContactId, Session } from '@switchboard/shared';
import type { Turn } from './agent-provider';
import { createCodexProvider } from './codex-provider';

const FAKE_CODEX = join(__dirname, 'fixtures', 'fake-codex.js');

describe('codex provider (fake codex executable)', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'sb-fake-codex-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const agent = (config: Record<string, unknown> = {}): Agent => ({
    id: randomUUID() as Agent['id'], name: 'default', provider: 'codex', systemPrompt: '', config: { bin: FAKE_CODEX, ...config },
  });
  const session = (contactId: string | null, providerSessionId: string | null): Session => ({
    id: randomUUID() as Session['id'], agentId: randomUUID() as Session['agentId'], contactId: contactId as ContactId | null,
    threadKey: '', provider: 'codex', providerSessionId, status: 'open', createdAt: new Date(), closedAt: null,
  });
  const run = (s: Session, text: string, a = agent()) => {
    const turn: Turn = {
      agent: a, session: s, text, history: [], memories: [],
      tools: { remember: () => Promise.reject(new Error('unused')), recall: () => Promise.resolve([]), forget: () => Promise.resolve(false) },
      mcp: null, forkFrom: null,
    };
    return createCodexProvider({ workspaceRoot: join(home, 'workspaces'), env: { ...process.env, FAKE_CODEX_HOME: join(home, 'codex') } })
      .run(turn, { signal: new AbortController().signal });
  };
  const calls = (): { argv: string[]; cwd: string }[] =>
    readFileSync(join(home, 'codex', 'calls.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));

  it('captures the thread id of thread.started, answers with the last agent message, and resumes with exec flags before resume', async () => {
    const first = await run(session('c1', null), 'hello');
    expect(first.providerSessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.text).toBe(`codex heard "hello" (turn 1 of ${first.providerSessionId})`);
    const second = await run(session('c1', first.providerSessionId), 'again');
    expect(second).toEqual({
      text: `codex heard "again" (turn 2 of ${first.providerSessionId})`, providerSessionId: first.providerSessionId,
      usage: { inputTokens: 10, outputTokens: 5 },
    });
    const resumed = calls()[1]?.argv ?? [];
    const at = resumed.indexOf('resume');
    expect(resumed.slice(at)).toEqual(['resume', first.providerSessionId, 'again']);
    expect(resumed.slice(0, at)).toEqual(['exec', '--json', '--sandbox', 'read-only', '-C', join(home, 'workspaces', 'default', 'c1'), '--color', 'never', '--skip-git-repo-check']);
    expect(calls().flatMap((c) => c.argv)).not.toContain('--last');
  });

  it('runs contacts read-only whatever the agent says, and the owner with the configured sandbox', async () => {
    const writable = agent({ sandbox: 'workspace-write' });
    await run(session('c1', null), 'hi', writable);
    await run(session(null, null), 'hi', writable);
    const sandboxes = calls().map((c) => c.argv[c.argv.indexOf('--sandbox') + 1]);
    expect(sandboxes).toEqual(['read-only', 'workspace-write']);
    expect(calls().map((c) => c.cwd)).toEqual([join(home, 'workspaces', 'default', 'c1'), join(home, 'workspaces', 'default', 'owner')]);
  });

  it('fails the turn with codex\'s stderr when a thread is unknown', async () => {
    await expect(run(session('c1', randomUUID()), 'hi')).rejects.toMatchObject({ code: 'upstream_failed', message: expect.stringContaining('not found') });
  });
});
