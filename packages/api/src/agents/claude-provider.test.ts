import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Agent, ContactId, Session } from '@switchboard/shared';
import type { Turn } from './agent-provider';
import { createClaudeProvider } from './claude-provider';

const FAKE_CLAUDE = join(__dirname, 'fixtures', 'fake-claude.js');

describe('claude provider (fake claude executable)', () => {
  let home: string;
  let logs: string[];
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'sb-fake-claude-'));
    logs = [];
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const provider = () =>
    createClaudeProvider({ workspaceRoot: join(home, 'workspaces'), runDir: join(home, 'run'), env: { ...process.env, FAKE_CLAUDE_HOME: join(home, 'claude') }, log: (l) => logs.push(l) });
  const agent: Agent = { id: randomUUID() as Agent['id'], name: 'default', provider: 'claude', systemPrompt: 'Be brief.', config: { bin: FAKE_CLAUDE } };
  const session = (contactId: string | null, providerSessionId: string | null): Session => ({
    id: randomUUID() as Session['id'], agentId: agent.id, contactId: contactId as ContactId | null, threadKey: '', provider: 'claude',
    providerSessionId, status: 'open', createdAt: new Date(), closedAt: null,
  });
  const turn = (s: Session, text: string): Turn => ({
    agent, session: s, text, history: [], memories: [],
    tools: { remember: () => Promise.reject(new Error('unused')), recall: () => Promise.resolve([]), forget: () => Promise.resolve(false) },
      mcp: null, forkFrom: null,
  });
  const run = (s: Session, text: string) => provider().run(turn(s, text), { signal: new AbortController().signal });
  const calls = (): { argv: string[]; cwd: string }[] =>
    readFileSync(join(home, 'claude', 'calls.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));

  it('starts with --session-id and resumes the same id with -r, never --continue', async () => {
    const first = await run(session('c1', null), 'hello');
    expect(first.providerSessionId).toMatch(/^[0-9a-f-]{36}$/);
    const second = await run(session('c1', first.providerSessionId), 'again');
    expect(second).toEqual({
      text: `claude heard "again" (turn 2 of ${first.providerSessionId})`, providerSessionId: first.providerSessionId,
      usage: { inputTokens: 15, outputTokens: 7 },
    });
    const [a, b] = calls();
    expect(a?.argv).toEqual([
      '-p', 'hello', '--session-id', first.providerSessionId, '--output-format', 'json', '--append-system-prompt', 'Be brief.',
      '--tools', '', '--strict-mcp-config',
    ]);
    expect(b?.argv.slice(0, 4)).toEqual(['-p', 'again', '-r', first.providerSessionId]);
    expect(calls().flatMap((c) => c.argv)).not.toEqual(expect.arrayContaining(['-c']));
    expect(calls().flatMap((c) => c.argv)).not.toEqual(expect.arrayContaining(['--continue']));
  });

  it('gives two contacts and the owner their own session ids and working directories', async () => {
    const a = await run(session('contact-a', null), 'hi');
    const b = await run(session('contact-b', null), 'hi');
    const owner = await run(session(null, null), 'hi');
    expect(new Set([a.providerSessionId, b.providerSessionId, owner.providerSessionId]).size).toBe(3);
    expect(calls().map((c) => c.cwd)).toEqual([
      join(home, 'workspaces', 'default', 'contact-a'),
      join(home, 'workspaces', 'default', 'contact-b'),
      join(home, 'workspaces', 'default', 'owner'),
    ]);
  });

  it('runs contact turns without tools and owner turns with the owner\'s own configuration', async () => {
    await run(session('contact-a', null), 'hi');
    await run(session(null, null), 'hi');
    const [contact, owner] = calls();
    expect(contact?.argv.slice(-3)).toEqual(['--tools', '', '--strict-mcp-config']);
    expect(owner?.argv).not.toContain('--tools');
    expect(owner?.argv).not.toContain('--strict-mcp-config');
  });

  it('starts one fresh session when the stored id is unknown to claude, and says so', async () => {
    const stale = randomUUID();
    const reply = await run(session('c1', stale), 'hello');
    expect(reply.providerSessionId).not.toBe(stale);
    expect(reply.text).toBe(`claude heard "hello" (turn 1 of ${reply.providerSessionId})`);
    expect(calls().map((c) => c.argv[2])).toEqual(['-r', '--session-id']);
    expect(logs.join('\n')).toContain(stale);
  });

  it('fails the turn with the stderr of a failed run', async () => {
    const broken: Agent = { ...agent, config: { bin: join(home, 'missing-claude') } };
    await expect(provider().run({ ...turn(session('c1', null), 'x'), agent: broken }, { signal: new AbortController().signal }))
      .rejects.toMatchObject({ code: 'upstream_failed', message: expect.stringContaining('could not be started') });
  });

  it('gives restricted turns only our MCP tools, and the owner its extra arguments and model', async () => {
    const configured: Agent = { ...agent, config: { bin: FAKE_CLAUDE, model: 'sonnet', ownerArgs: ['--verbose'] } };
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
    const mcp = (call: typeof contact) => (call as unknown as { mcpConfig: unknown }).mcpConfig;
    expect(mcp(contact)).toEqual({ mcpServers: { switchboard: { type: 'http', url: 'http://127.0.0.1:9/mcp', headers: { Authorization: 'Bearer sbt_test' } } } });
    // The per-turn config file with the token is gone after the turn.
    expect(readdirSync(join(home, 'run'))).toEqual([]);
  });
});
