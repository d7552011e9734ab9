import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { describeEachServer } from '../../../../test/server-harness';

const FAKE_CLAUDE = join(__dirname, 'fixtures', 'fake-claude.js');

describeEachServer('agents: create and check (fake claude executable)', (server) => {
  it('creates an agent with its settings, and messages addressed to it reach it', async () => {
    const created = await server.client().agents.create({ name: 'helper', systemPrompt: 'Help.', memory: 'context', model: 'small' });
    expect(created).toMatchObject({ name: 'helper', provider: 'echo', systemPrompt: 'Help.', config: { memory: 'context', model: 'small' } });
    expect((await server.client().agents.list()).map((agent) => agent.name)).toEqual(['default', 'helper']);
    const answer = await server.client().inbound(
      { agent: 'helper', channel: 'telegram', sender: { id: 'agents-1' }, messageId: randomUUID(), text: 'remember nothing' }, { wait: true },
    );
    // Memory in context only: the echo agent has no tools to remember with.
    expect(answer.reply?.text).toBe('echo: remember nothing');
  });

  it('says whether each provider can run, naming a missing binary', async () => {
    expect(await server.client().agents.check('default')).toEqual({ agent: 'default', provider: 'echo', ok: true, detail: 'built in' });

    await server.client().agents.create({ name: 'missing-cli', provider: 'claude', bin: '/nonexistent/claude' });
    const missing = await server.client().agents.check('missing-cli');
    expect(missing).toMatchObject({ provider: 'claude', ok: false });
    expect(missing.detail).toContain('/nonexistent/claude could not be started: it was not found');

    await server.client().agents.create({ name: 'fake-cli', provider: 'claude', bin: FAKE_CLAUDE });
    expect(await server.client().agents.check('fake-cli')).toMatchObject({ ok: true, detail: expect.stringMatching(/2\.1\.0 \(Claude Code, fake\) \(sandboxed\)$/) });
    expect(await server.client().agents.check('fake-cli')).not.toHaveProperty('warning');

    await server.client().agents.create({ name: 'keyless', provider: 'anthropic', apiKeyEnv: 'SB_TEST_UNSET_KEY' });
    expect(await server.client().agents.check('keyless')).toMatchObject({ ok: false, detail: '$SB_TEST_UNSET_KEY is not set' });
  });

  it('fails a turn of an agent whose binary is missing with a message that says how to fix it', async () => {
    const answer = await server.client().inbound(
      { agent: 'missing-cli', channel: 'telegram', sender: { id: 'agents-2' }, messageId: randomUUID(), text: 'hello' }, { wait: true },
    ).catch((error: unknown) => error);
    expect(String((answer as Error).message)).toContain('sb agents set <agent> --bin <path>');
  });
});
