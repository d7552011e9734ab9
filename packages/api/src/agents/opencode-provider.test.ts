import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Agent, ContactId, Session } from '@switchboard/shared';
import type { Turn } from './agent-provider';
import { createCliSandbox } from './cli-sandbox';
import { createOpencodeProvider } from './opencode-provider';
import { fakeCliBin, readFakeCalls } from '../../../../test/fake-cli-calls';

describe('opencode provider (fake opencode executable)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-fake-opencode-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const sbHome = () => join(dir, 'sb');
  // Sandbox off: these tests are about the CLI's arguments (the sandbox has its own tests).
  const agent: Agent = { id: randomUUID() as Agent['id'], name: 'default', provider: 'opencode', systemPrompt: '', config: { bin: fakeCliBin('opencode'), sandbox: 'off' } };
  const session = (contactId: string | null, providerSessionId: string | null): Session => ({
    id: randomUUID() as Session['id'], agentId: agent.id, contactId: contactId as ContactId | null, threadKey: '', provider: 'opencode',
    providerSessionId, status: 'open', createdAt: new Date(), closedAt: null,
  });
  const run = (s: Session, text: string) => {
    const turn: Turn = {
      tenantId: '00000000-0000-4000-8000-000000000001' as Turn['tenantId'],
      agent, session: s, text, history: [], memories: [],
      tools: { remember: () => Promise.reject(new Error('unused')), recall: () => Promise.resolve([]), forget: () => Promise.resolve(false) },
      mcp: null, forkFrom: null,
    };
    return createOpencodeProvider({ tenantHome: sbHome, env: { PATH: process.env.PATH, HOME: join(dir, 'owner-home') }, sandbox: createCliSandbox({ env: {}, home: dir }), log: () => undefined })
      .run(turn, { signal: new AbortController().signal });
  };
  const calls = () => readFakeCalls(dir, 'opencode');

  it('stores the sessionID of the events and resumes it with --session, the message after --', async () => {
    const first = await run(session('c1', null), 'hello');
    expect(first.providerSessionId).toMatch(/^ses_/);
    expect(first.text).toBe(`opencode heard "hello" (turn 1 of ${first.providerSessionId})`);
    const second = await run(session('c1', first.providerSessionId), 'again');
    expect(second.text).toBe(`opencode heard "again" (turn 2 of ${first.providerSessionId})`);
    expect(calls().map((c) => c.argv)).toEqual([
      ['run', '--format', 'json', '--', 'hello'],
      ['run', '--format', 'json', '--session', first.providerSessionId, '--', 'again'],
    ]);
  });

  it('treats a run that printed no text as an error', async () => {
    await expect(run(session('c1', null), 'silent')).rejects.toMatchObject({ code: 'upstream_failed', message: expect.stringContaining('no text') });
  });

  it('denies every permission in a contact\'s working directory but not in the owner\'s', async () => {
    await run(session('c1', null), 'hi');
    await run(session(null, null), 'hi');
    const [contact, owner] = calls();
    expect(contact?.cwd).toBe(join(sbHome(), 'workspaces', 'default', 'c1'));
    expect(contact?.projectConfig).toMatchObject({ permission: 'deny', tools: { '*': false, 'switchboard_*': true } });
    expect(contact?.env.XDG_DATA_HOME).toBe(join(sbHome(), 'contacts', 'c1', '.local', 'share'));
    expect(owner?.cwd).toBe(join(sbHome(), 'workspaces', 'default', 'owner'));
    expect(owner?.projectConfig).not.toHaveProperty('permission');
    expect(owner?.projectConfig).not.toHaveProperty('tools');
  });
});
