import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Agent, ContactId, Session } from '@switchboard/shared';
import type { Turn } from './agent-provider';
import { createCliSandbox } from './cli-sandbox';
import { createCodexProvider } from './codex-provider';
import { fakeCliBin, readFakeCalls } from '../../../../test/fake-cli-calls';

describe('codex provider (fake codex executable)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-fake-codex-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const sbHome = () => join(dir, 'sb');
  // Sandbox off: these tests are about the CLI's arguments (the sandbox has its own tests).
  const agent = (config: Record<string, unknown> = {}): Agent => ({
    id: randomUUID() as Agent['id'], name: 'default', provider: 'codex', systemPrompt: '', config: { bin: fakeCliBin('codex'), sandbox: 'off', ...config },
  });
  const session = (contactId: string | null, providerSessionId: string | null): Session => ({
    id: randomUUID() as Session['id'], agentId: randomUUID() as Session['agentId'], contactId: contactId as ContactId | null,
    threadKey: '', provider: 'codex', providerSessionId, status: 'open', createdAt: new Date(), closedAt: null,
  });
  const run = (s: Session, text: string, a = agent()) => {
    const turn: Turn = {
      tenantId: '00000000-0000-4000-8000-000000000001' as Turn['tenantId'],
      agent: a, session: s, text, history: [], memories: [],
      tools: { remember: () => Promise.reject(new Error('unused')), recall: () => Promise.resolve([]), forget: () => Promise.resolve(false) },
      mcp: null, forkFrom: null,
    };
    return createCodexProvider({ tenantHome: sbHome, env: { PATH: process.env.PATH, HOME: join(dir, 'owner-home') }, sandbox: createCliSandbox({ env: {}, home: dir }), log: () => undefined })
      .run(turn, { signal: new AbortController().signal });
  };
  const calls = () => readFakeCalls(dir, 'codex');

  it('captures the thread id of thread.started, answers with the last agent message, and resumes with exec flags before resume and the message after --', async () => {
    const first = await run(session('c1', null), 'hello');
    expect(first.providerSessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.text).toBe(`codex heard "hello" (turn 1 of ${first.providerSessionId})`);
    const second = await run(session('c1', first.providerSessionId), 'again');
    expect(second).toEqual({
      text: `codex heard "again" (turn 2 of ${first.providerSessionId})`, providerSessionId: first.providerSessionId,
      usage: { inputTokens: 10, outputTokens: 5 },
    });
    const workspace = join(sbHome(), 'workspaces', 'default', 'c1');
    const execFlags = ['exec', '--json', '--sandbox', 'read-only', '-C', workspace, '--color', 'never', '--skip-git-repo-check'];
    expect(calls()[0]?.argv).toEqual([...execFlags, '--', 'hello']);
    expect(calls()[1]?.argv).toEqual([...execFlags, 'resume', first.providerSessionId, '--', 'again']);
    expect(calls().flatMap((c) => c.argv)).not.toContain('--last');
  });

  it('runs contacts read-only whatever the agent says, and the owner with the configured codex sandbox', async () => {
    const writable = agent({ codexSandbox: 'workspace-write' });
    await run(session('c1', null), 'hi', writable);
    await run(session(null, null), 'hi', writable);
    expect(calls().map((c) => c.sandbox)).toEqual(['read-only', 'workspace-write']);
    expect(calls().map((c) => c.cwd)).toEqual([join(sbHome(), 'workspaces', 'default', 'c1'), join(sbHome(), 'workspaces', 'default', 'owner')]);
    expect(calls().map((c) => c.env.CODEX_HOME ?? `${c.env.HOME}/.codex`)).toEqual([join(sbHome(), 'contacts', 'c1', '.codex'), join(dir, 'owner-home', '.codex')]);
  });

  it('fails the turn with codex\'s stderr when a thread is unknown', async () => {
    await expect(run(session('c1', randomUUID()), 'hi')).rejects.toMatchObject({ code: 'upstream_failed', message: expect.stringContaining('not found') });
  });
});
