import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Agent, ContactId, Session } from '@switchboard/shared';
import type { AgentProvider, Turn } from './agent-provider';
import { createClaudeProvider } from './claude-provider';
import { createCodexProvider } from './codex-provider';
import { createOpencodeProvider } from './opencode-provider';
import type { CliHost } from './cli-turn';
import { createCliSandbox } from './cli-sandbox';
import { fakeCliBin, readFakeCalls, type FakeCall } from '../../../../test/fake-cli-calls';

const CLIS = ['claude', 'codex', 'opencode'] as const;
type Cli = (typeof CLIS)[number];
const CREATE: Record<Cli, (host: CliHost) => AgentProvider> = { claude: createClaudeProvider, codex: createCodexProvider, opencode: createOpencodeProvider };

/** What a fake's reply says it heard, as the first line of its answer. */
const heard = (cli: Cli, text: string, reply: string) => {
  const line = reply.split('\n')[0] ?? '';
  return line.startsWith(`${cli} heard "${text}" (turn 1 of `) && reply.split('\n').length === 1;
};

describe.each(CLIS)('a %s turn (the fake executable with the real grammar)', (cli) => {
  const dir = mkdtempSync(join(tmpdir(), `sb-cli-turn-${cli}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const serverEnv = {
    PATH: process.env.PATH, LANG: 'C.UTF-8', TZ: 'Europe/Berlin', SB_HOME: '/srv/sb', SB_OWNER_SECRET: 'owner-only', PGPASSWORD: 'pg',
    AWS_SECRET_ACCESS_KEY: 'aws', OPENAI_API_KEY: 'sk-other', ANTHROPIC_API_KEY: 'sk-ant', ANTHROPIC_BASE_URL: 'https://llm.example',
  };
  const sandbox = createCliSandbox({ env: { PATH: process.env.PATH }, home: join(dir, 'sb') });
  afterAll(() => sandbox.close());
  const host = (): CliHost => ({ tenantHome: () => join(dir, 'sb'), env: { ...serverEnv, HOME: join(dir, 'owner-home') }, sandbox, log: () => undefined });
  // Sandbox off: this is about the CLI's arguments and environment (the sandbox has its own tests).
  const agent = (config: Record<string, unknown> = {}): Agent => ({
    id: randomUUID() as Agent['id'], name: 'default', provider: cli, systemPrompt: '',
    config: { bin: fakeCliBin(cli), sandbox: 'off', cliEnv: ['ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL'], ...config },
  });
  const session = (contactId: string | null): Session => ({
    id: randomUUID() as Session['id'], agentId: randomUUID() as Session['agentId'], contactId: contactId as ContactId | null,
    threadKey: '', provider: cli, providerSessionId: null, status: 'open', createdAt: new Date(), closedAt: null,
  });
  const run = (contactId: string | null, text: string, config: Record<string, unknown> = {}) => {
    const turn: Turn = {
      tenantId: '00000000-0000-4000-8000-000000000001' as Turn['tenantId'],
      agent: agent(config), session: session(contactId), text, history: [], memories: [], tools: null,
      mcp: { url: 'http://127.0.0.1:9/mcp', token: 'sbt_turn' }, forkFrom: null,
    };
    return CREATE[cli](host()).run(turn, { signal: new AbortController().signal });
  };
  const lastCall = (): FakeCall | undefined => readFakeCalls(dir, cli).at(-1);

  it.each([
    '--settings={"hooks":{"Stop":[{"hooks":[{"type":"command","command":"touch /tmp/pwned"}]}]}}',
    '--',
    `-r ${randomUUID()}`,
    '--help',
    'resume',
    '-p',
    '--auto',
  ])('hands the message %p to the CLI as text, after --, with no option applied', async (text) => {
    const contact = randomUUID();
    const reply = await run(contact, text);
    expect(heard(cli, text, reply.text)).toBe(true);
    expect(reply.text).not.toMatch(/settings applied|every permission approved/);
    const call = lastCall();
    expect(call?.prompt).toBe(text);
    expect(call?.argv.slice(-2)).toEqual(['--', text]);
    expect(call?.argv.indexOf('--')).toBe((call?.argv.length ?? 0) - 2);
  });

  it('gives a contact turn exactly PATH, LANG, TZ, its own homes, the turn token and the variables the agent names', async () => {
    const contact = randomUUID();
    await run(contact, 'hello');
    const env = lastCall()?.env ?? {};
    const home = join(dir, 'sb', 'contacts', contact);
    expect(Object.keys(env).sort()).toEqual([
      'ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', 'CLAUDE_CONFIG_DIR', 'CODEX_HOME', 'HOME', 'LANG', 'PATH', 'SB_TURN_TOKEN', 'TZ',
      'XDG_CACHE_HOME', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_STATE_HOME',
    ]);
    expect(env).toMatchObject({
      HOME: home, CLAUDE_CONFIG_DIR: join(home, '.claude'), CODEX_HOME: join(home, '.codex'), XDG_DATA_HOME: join(home, '.local', 'share'),
      SB_TURN_TOKEN: 'sbt_turn', ANTHROPIC_API_KEY: 'sk-ant', LANG: 'C.UTF-8', TZ: 'Europe/Berlin',
    });
  });

  it('keeps exactly that environment inside the OS sandbox (the default), plus the variables of its proxy', async () => {
    const contact = randomUUID();
    await run(contact, 'hello', { sandbox: 'on' });
    const call = lastCall();
    expect(call?.cwd).toBe(join(dir, 'sb', 'workspaces', 'default', contact));
    expect(Object.keys(call?.env ?? {}).sort()).toEqual([
      'ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', 'CLAUDE_CONFIG_DIR', 'CODEX_HOME', 'HOME', 'HTTPS_PROXY', 'HTTP_PROXY', 'LANG', 'PATH',
      'SB_TURN_TOKEN', 'TZ', 'XDG_CACHE_HOME', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_STATE_HOME', 'http_proxy', 'https_proxy',
    ]);
  }, 30_000);

  it('runs the owner\'s restricted turns in the sandbox too, with the owner\'s own CLI home under SB_HOME', async () => {
    await run(null, 'hello', { ownerProfile: 'restricted', sandbox: 'on' });
    expect(lastCall()?.env).toMatchObject({ HOME: join(dir, 'sb', 'contacts', 'owner'), HTTP_PROXY: expect.stringMatching(/^http:\/\/srt:/) });
    await run(null, 'hello', { sandbox: 'on' });
    expect(lastCall()?.env).toMatchObject({ HOME: join(dir, 'owner-home'), SB_OWNER_SECRET: 'owner-only' });
    expect(lastCall()?.env).not.toHaveProperty('HTTP_PROXY');
  }, 30_000);

  it('never follows a link a turn left in its own home when it prepares the next turn', async () => {
    const contact = randomUUID();
    await run(contact, 'hello');
    const outside = join(dir, `outside-${contact}`);
    mkdirSync(outside);
    const local = join(dir, 'sb', 'contacts', contact, '.local');
    rmSync(local, { recursive: true });
    symlinkSync(outside, local);
    // In its sandbox the link leads nowhere (the CLI may fail); the server must not have followed it either.
    await run(contact, 'again', { sandbox: 'on' }).catch(() => undefined);
    expect(readdirSync(outside)).toEqual([]);
  }, 30_000);

  it('gives the owner\'s full turns the server\'s environment, and a restricted owner turn the allowlisted one', async () => {
    await run(null, 'hello');
    expect(lastCall()?.env).toMatchObject({ SB_OWNER_SECRET: 'owner-only', OPENAI_API_KEY: 'sk-other', HOME: join(dir, 'owner-home') });
    await run(null, 'hello', { ownerProfile: 'restricted' });
    const env = lastCall()?.env ?? {};
    expect(env.HOME).toBe(join(dir, 'sb', 'contacts', 'owner'));
    expect(Object.keys(env)).not.toEqual(expect.arrayContaining(['SB_OWNER_SECRET']));
    expect(Object.keys(env).filter((name) => /^(SB_HOME|PG|AWS|OPENAI)/.test(name))).toEqual([]);
  });
});
