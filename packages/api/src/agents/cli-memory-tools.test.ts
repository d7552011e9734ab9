import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Provider } from '@switchboard/shared';
import { describeEachServerWithSupabase } from '../../../../test/server-harness';
import { fakeCliBin, readFakeCalls, type FakeCall } from '../../../../test/fake-cli-calls';

// The server's HOME: where the fakes keep the owner's full turns (contacts' live in their own CLI homes).
const ownerHome = mkdtempSync(join(tmpdir(), 'sb-fake-cli-tools-'));
afterAll(() => rmSync(ownerHome, { recursive: true, force: true }));

const FAKES = ['claude', 'codex', 'opencode'] as const;
const OWNER_SECRET = 'owner-only-credential';

describeEachServerWithSupabase('memory tools of agent CLIs over MCP with turn tokens (fake claude, codex and opencode executables)', (server) => {
  const say = (sender: string, text: string) =>
    server.client().inbound({ channel: 'telegram', sender: { id: sender }, messageId: randomUUID(), text }, { wait: true });
  const sayAsOwner = (text: string) => server.client().inbound({ channel: 'cli', messageId: randomUUID(), text }, { wait: true });
  const calls = (fake: FakeCall['cli']): FakeCall[] =>
    [...readFakeCalls(server.home, fake), ...readFakeCalls(ownerHome, fake)]
      .filter((call) => call.cwd.startsWith(server.home))
      .sort((a, b) => (BigInt(a.tick) < BigInt(b.tick) ? -1 : 1));
  const tokenOf = (call: FakeCall | undefined): string | undefined =>
    call?.env.SB_TURN_TOKEN ?? (call?.mcpConfig as { mcpServers?: { switchboard?: { headers?: { Authorization?: string } } } } | undefined)
      ?.mcpServers?.switchboard?.headers?.Authorization?.replace(/^Bearer /, '');

  describe.each(FAKES)('%s', (fake) => {
    const a = `${fake}-a`;
    const b = `${fake}-b`;
    beforeAll(async () => {
      await server.client().agents.update('default', { provider: fake as Provider, bin: fakeCliBin(fake), ownerEnv: ['SB_OWNER_SECRET'] });
    });

    it('remembers and recalls through MCP in the contact\'s own scope only', async () => {
      const stored = await say(a, `remember: ${fake} contact A collects stamps`);
      expect(stored.reply?.text).toContain(`"content":"${fake} contact A collects stamps"`);
      expect((await say(a, 'recall: stamps')).reply?.text).toContain(`${fake} contact A collects stamps`);
      const other = await say(b, 'recall: stamps');
      expect(other.reply?.text).not.toContain('collects stamps');
      expect(other.reply?.text).toMatch(/\n\[\]$/);
      // Contact turns run in the OS sandbox: the CLI reached our MCP endpoint through its proxy.
      expect(calls(fake).at(-1)?.env.HTTP_PROXY).toMatch(/^http:\/\/srt:[0-9a-f]+@127\.0\.0\.1:3128$/);
      const memories = await server.client().memories.list({ contact: stored.contactId ?? undefined });
      expect(memories.map((memory) => memory.content)).toEqual([`${fake} contact A collects stamps`]);
    });

    it('revokes the turn token when the turn ends', async () => {
      await say(a, 'hello');
      const token = tokenOf(calls(fake).at(-1));
      expect(token).toMatch(/^sbt_/);
      const response = await fetch(`${server.url}/mcp`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
      });
      expect(response.status).toBe(401);
    });

    it('passes the owner\'s credentials to the owner\'s turns only', async () => {
      await say(b, 'hi from a contact');
      const contactCall = calls(fake).at(-1);
      await sayAsOwner('hi from the owner');
      const ownerCall = calls(fake).at(-1);
      expect(ownerCall?.cwd).toMatch(/owner$/);
      expect(ownerCall?.env.SB_OWNER_SECRET).toBe(OWNER_SECRET);
      expect(contactCall?.cwd).not.toMatch(/owner$/);
      expect(contactCall?.env).not.toHaveProperty('SB_OWNER_SECRET');
      expect(calls(fake).filter((call) => !call.cwd.endsWith('owner')).every((call) => call.env.SB_OWNER_SECRET === undefined)).toBe(true);
    });

    it('never passes a "latest session" flag', () => {
      const argv = calls(fake).flatMap((call) => call.argv);
      for (const flag of ['-c', '--continue', '--last']) {
        if (fake === 'codex' && flag === '-c') continue; // codex's -c is its config override, checked below
        expect(argv).not.toContain(flag);
      }
      if (fake === 'codex') {
        const overrides = calls(fake).flatMap((call) => call.argv.flatMap((arg, i) => (arg === '-c' ? [call.argv[i + 1]] : [])));
        expect(overrides.every((value) => value?.startsWith('mcp_servers.switchboard.'))).toBe(true);
      }
    });
  });
}, {
  HOME: ownerHome,
  SB_OWNER_SECRET: OWNER_SECRET,
});
