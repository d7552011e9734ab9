import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Agent, ContactId, Session } from '@switchboard/shared';
import type { Turn } from './agent-provider';
import { createCliSandbox } from './cli-sandbox';
import { createClaudeProvider } from './claude-provider';
import { fakeCliBin, readFakeCalls } from '../../../../test/fake-cli-calls';

const FAKE_CLAUDE = fakeCliBin('claude');

describe('claude provider (fake claude executable)', () => {
  let dir: string;
  let logs: string[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-fake-claude-'));
    logs = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const sbHome = () => join(dir, 'sb');
  const provider = () =>
    createClaudeProvider({ tenantHome: sbHome, env: { PATH: process.env.PATH, HOME: join(dir, 'owner-home') }, sandbox: createCliSandbox({ env: {}, home: dir }), log: (l) => logs.push(l) });
  // Sandbox off: these tests are about the CLI's arguments (the sandbox has its own tests).
  const agent: Agent = { id: randomUUID() as Agent['id'], name: 'default', provider: 'claude', systemPrompt: 'Be brief.', config: { bin: FAKE_CLAUDE, sandbox: 'off' } };
  const session = (contactId: string | null, providerSessionId: string | null): Session => ({
    id: randomUUID() as Session['id'], agentId: agent.id, contactId: contactId as ContactId | null, threadKey: '', provider: 'claude',
    providerSessionId, status: 'open', createdAt: new Date(), closedAt: null,
  });
  const turn = (s: Session, text: string): Turn => ({
    tenantId: '00000000-0000-4000-8000-000000000001' as Turn['tenantId'],
    agent, session: s, text, history: [], memories: [],
    tools: { remember: () => Promise.reject(new Error('unused')), recall: () => Promise.resolve([]), forget: () => Promise.resolve(false) },
    mcp: null, forkFrom: null,
  });
  const run = (s: Session, text: string) => provider().run(turn(s, text), { signal: new AbortController().signal });
  const calls = () => readFakeCalls(dir, 'claude');

  it('starts with --session-id and resumes the same id with -r, every option before -p -- <message>, never --continue', async () => {
    const first = await run(session('c1', null), 'hello');
    expect(first.providerSessionId).toMatch(/^[0-9a-f-]{36}$/);
    const second = await run(session('c1', first.providerSessionId), 'again');
    expect(second).toEqual({
      text: `claude heard "again" (turn 2 of ${first.providerSessionId})`, providerSessionId: first.providerSessionId,
      usage: { inputTokens: 15, outputTokens: 7 },
    });
    const [a, b] = calls();
    expect(a?.argv).toEqual([
      '--session-id', first.providerSessionId, '--output-format', 'json', '--append-system-prompt', 'Be brief.',
      '--tools', '', '--strict-mcp-config', '-p', '--', 'hello',
    ]);
    expect(b?.argv.slice(0, 2)).toEqual(['-r', first.providerSessionId]);
    expect(b?.argv.slice(-3)).toEqual(['-p', '--', 'again']);
    expect(calls().flatMap((c) => c.argv)).not.toEqual(expect.arrayContaining(['-c']));
    expect(calls().flatMap((c) => c.argv)).not.toEqual(expect.arrayContaining(['--continue']));
  });

  it('gives two contacts and the owner their own session ids, working directories and CLI homes', async () => {
    const a = await run(session('contact-a', null), 'hi');
    const b = await run(session('contact-b', null), 'hi');
    const owner = await run(session(null, null), 'hi');
    expect(new Set([a.providerSessionId, b.providerSessionId, owner.providerSessionId]).size).toBe(3);
    expect(calls().map((c) => c.cwd)).toEqual([
      join(sbHome(), 'workspaces', 'default', 'contact-a'),
      join(sbHome(), 'workspaces', 'default', 'contact-b'),
      join(sbHome(), 'workspaces', 'default', 'owner'),
    ]);
    expect(calls().map((c) => c.env.CLAUDE_CONFIG_DIR ?? `${c.env.HOME}/.claude`)).toEqual([
      join(sbHome(), 'contacts', 'contact-a', '.claude'),
      join(sbHome(), 'contacts', 'contact-b', '.claude'),
      join(dir, 'owner-home', '.claude'),
    ]);
  });

  it('runs contact turns without tools and owner turns with the owner\'s own configuration', async () => {
    await run(session('contact-a', null), 'hi');
    await run(session(null, null), 'hi');
    const [contact, owner] = calls();
    expect(contact?.argv.slice(-6)).toEqual(['--tools', '', '--strict-mcp-config', '-p', '--', 'hi']);
    expect(owner?.argv).not.toContain('--tools');
    expect(owner?.argv).not.toContain('--strict-mcp-config');
  });

  it('starts one fresh session when the stored id is unknown to claude, and says so', async () => {
    const stale = randomUUID();
    const reply = await run(session('c1', stale), 'hello');
    expect(reply.providerSessionId).not.toBe(stale);
    expect(reply.text).toBe(`claude heard "hello" (turn 1 of ${reply.providerSessionId})`);
    expect(calls().map((c) => c.argv[0])).toEqual(['-r', '--session-id']);
    expect(logs.join('\n')).toContain(stale);
  });

  it('fails the turn with the stderr of a failed run', async () => {
    const broken: Agent = { ...agent, config: { bin: join(dir, 'missing-claude'), sandbox: 'off' } };
    await expect(provider().run({ ...turn(session('c1', null), 'x'), agent: broken }, { signal: new AbortController().signal }))
      .rejects.toMatchObject({ code: 'upstream_failed', message: expect.stringContaining('could not be started') });
  });

  it('gives restricted turns only our MCP tools, and the owner its extra arguments and model', async () => {
    const configured: Agent = { ...agent, config: { bin: FAKE_CLAUDE, model: 'sonnet', ownerArgs: ['--verbose'], sandbox: 'off' } };
    const withMcp = (s: Session): Turn => ({ ...turn(s, 'hi'), agent: configured, mcp: { url: 'http://127.0.0.1:9/mcp', token: 'sbt_test' } });
    const signal = new AbortController().signal;
    await provider().run(withMcp(session('contact-a', null)), { signal }).catch(() => undefined);
    await provider().run(withMcp(session(null, null)), { signal }).catch(() => undefined);
    const [contact, owner] = calls();
    expect(contact?.argv).toEqual(expect.arrayContaining(['--model', 'sonnet', '--tools', '', '--strict-mcp-config']));
    const allowed = contact?.argv[(contact.argv.indexOf('--allowedTools') ?? -2) + 1];
    expect(allowed).toBe('mcp__switchboard__remember,mcp__switchboard__recall,mcp__switchboard__forget');
    expect(contact?.argv).not.toContain('--verbose');
    expect(owner?.argv).toEqual(expect.arrayContaining(['--model', 'sonnet', '--verbose', '--mcp-config']));
    expect(owner?.argv).not.toContain('--tools');
    expect(contact?.mcpConfig).toEqual({ mcpServers: { switchboard: { type: 'http', url: 'http://127.0.0.1:9/mcp', headers: { Authorization: 'Bearer sbt_test' } } } });
    // The per-turn config file with the token was in the turn's own run directory, and is gone after the turn.
    expect(contact?.argv[contact.argv.indexOf('--mcp-config') + 1]).toMatch(new RegExp(`^${join(sbHome(), 'run', 'contact-a')}/mcp-`));
    expect(readdirSync(join(sbHome(), 'run', 'contact-a'))).toEqual([]);
    expect(readdirSync(join(sbHome(), 'run', 'owner'))).toEqual([]);
  });
});
