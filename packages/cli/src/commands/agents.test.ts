import { createFakeServer, fakeAgent } from '../cli-fake-server';

describe('sb agents (fake HTTP server responses)', () => {
  it('lists agents with their effective policies, defaults filled in', async () => {
    const server = createFakeServer({ agents: [fakeAgent(), fakeAgent({ name: 'helper', provider: 'claude', config: { dmPolicy: 'pairing', groupReplies: 'all' } })] });
    const result = await server.run(['agents']);
    expect(result.stdout).toMatch(/│ default │ echo\s+│ open\s+│ mention\s+│ 30 at once, 30\/min │/);
    expect(result.stdout).toMatch(/│ helper\s+│ claude\s+│ pairing\s+│ all\s+│ 30 at once, 30\/min │/);
  });

  it('sets only the given fields, parsing the rate limit as burst/perMinute', async () => {
    const server = createFakeServer();
    const result = await server.run(['agents', 'set', 'default', '--dm-policy', 'allowlist', '--group-replies', 'all', '--rate-limit', '5/60', '--provider', 'claude', '--system-prompt', 'Be brief.']);
    expect(server.requests[0]).toMatchObject({ method: 'PATCH', path: '/v1/agents/default' });
    expect(server.requests[0]?.body).toEqual({ provider: 'claude', dmPolicy: 'allowlist', groupReplies: 'all', rateLimit: { burst: 5, perMinute: 60 }, systemPrompt: 'Be brief.' });
    expect(result.stdout).toContain('dm policy      allowlist\n');
    expect(result.stdout).toContain('rate limit     5 at once, 60/min\n');
  });

  it('sets the new-contact limit as burst/perMinute and shows it', async () => {
    const server = createFakeServer();
    const result = await server.run(['agents', 'set', 'default', '--new-contact-rate', '200/120']);
    expect(server.requests[0]?.body).toEqual({ newContactRate: { burst: 200, perMinute: 120 } });
    expect(result.stdout).toContain('new contacts   200 at once, 120/min\n');
    expect((await createFakeServer().run(['agents', 'show', 'default'])).stdout).toContain('new contacts   60 at once, 60/min\n');
  });

  it('reports every bad flag by name and exits 1 without calling the server', async () => {
    const server = createFakeServer();
    const result = await server.run(['agents', 'set', 'default', '--dm-policy', 'everyone', '--rate-limit', 'fast']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('sb: --dm-policy: Invalid option: expected one of "open"|"allowlist"|"pairing"; --rate-limit: expected <burst>/<perMinute>, e.g. 30/30\n');
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a set with nothing to change', async () => {
    const result = await createFakeServer().run(['agents', 'set', 'default']);
    expect(result).toMatchObject({ code: 1, stderr: expect.stringMatching(/^sb: nothing to change/) });
  });

  it('shows one agent and says which agent is missing', async () => {
    const server = createFakeServer();
    expect((await server.run(['agents', 'show', 'default'])).stdout).toContain('provider       echo\n');
    expect((await server.run(['agents', 'show', 'nobody'])).stderr).toBe('sb: Agent nobody not found\n');
  });

  it('adds an agent with its provider settings and warns when the server says it cannot run', async () => {
    const server = createFakeServer({
      checks: { coder: { agent: 'coder', provider: 'claude', ok: false, detail: 'claude could not be started: it was not found' } },
    });
    const result = await server.run([
      'agents', 'add', 'coder', '--provider', 'claude', '--bin', 'claude', '--model', 'sonnet', '--timeout', '120', '--memory', 'tools',
      '--reset', 'fork', '--owner-profile', 'restricted', '--owner-arg=--verbose', '--owner-arg', 'extra', '--owner-env', 'GITHUB_TOKEN',
      '--history-chars', '8000',
    ]);
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: '/v1/agents' });
    expect(server.requests[0]?.body).toEqual({
      name: 'coder', provider: 'claude', bin: 'claude', model: 'sonnet', timeoutMs: 120_000, memory: 'tools', reset: 'fork',
      ownerProfile: 'restricted', ownerArgs: ['--verbose', 'extra'], ownerEnv: ['GITHUB_TOKEN'], historyChars: 8000,
    });
    expect(result.stdout).toContain('provider       claude\n');
    expect(result.stdout).toContain('model          sonnet\n');
    expect(result.stdout).toContain('ownerArgs      ["--verbose","extra"]\n');
    expect(result.stderr).toBe('warning: agent coder cannot run: claude could not be started: it was not found\n');
    expect(result.code).toBe(0);
  });

  it('refuses session flags among the owner\'s arguments and a bad timeout, naming the flags', async () => {
    const server = createFakeServer();
    const result = await server.run(['agents', 'set', 'default', '--owner-arg=--continue', '--timeout', 'soon']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^sb: --timeout: expected whole seconds; --owner-arg: session flags \(.*--continue.*\) are chosen by Switchboard\n$/);
    expect(server.requests).toHaveLength(0);
  });

  it('sets the sandbox of a CLI agent: its CLI variables and hosts as lists, the opt-out and the codex sandbox, and warns about the opt-out', async () => {
    const server = createFakeServer({
      checks: { default: { agent: 'default', provider: 'claude', ok: true, detail: 'claude 2.1.0', warning: 'sandbox off: contacts\' turns run without the OS sandbox' } },
    });
    const result = await server.run([
      'agents', 'set', 'default', '--cli-env', 'ANTHROPIC_API_KEY,ANTHROPIC_BASE_URL', '--cli-env', 'OTHER_KEY',
      '--allow-hosts', 'api.anthropic.com,*.example.com:8443', '--sandbox', 'off', '--codex-sandbox', 'workspace-write',
    ]);
    expect(server.requests[0]?.body).toEqual({
      cliEnv: ['ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', 'OTHER_KEY'], allowHosts: ['api.anthropic.com', '*.example.com:8443'],
      sandbox: 'off', codexSandbox: 'workspace-write',
    });
    expect(result.stderr).toBe('warning: agent default: sandbox off: contacts\' turns run without the OS sandbox\n');
    expect(result.code).toBe(0);
  });

  it('refuses the server\'s own variables as CLI variables and a bad host, naming the flags', async () => {
    const server = createFakeServer();
    const result = await server.run(['agents', 'set', 'default', '--cli-env', 'SB_OWNER_TOKEN', '--allow-hosts', 'http://x', '--sandbox', 'maybe']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^sb: --cli-env: set by Switchboard or one of its own secrets.*; --allow-hosts: a host, \*\.host or host:port.*; --sandbox: .*"on"\|"off"\n$/);
    expect(server.requests).toHaveLength(0);
  });

  it('says when an agent name is taken', async () => {
    const result = await createFakeServer().run(['agents', 'add', 'default']);
    expect(result).toMatchObject({ code: 1, stderr: 'sb: Agent default already exists\n' });
  });
});
