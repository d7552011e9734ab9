import { createFakeServer, fakeAgent } from '../cli-fake-server';

describe('sb doctor (fake HTTP server responses)', () => {
  it('lists each agent\'s provider and whether it can run, and exits 0 when all can', async () => {
    const server = createFakeServer({ agents: [fakeAgent(), fakeAgent({ name: 'coder', provider: 'claude' })],
      checks: { coder: { agent: 'coder', provider: 'claude', ok: true, detail: 'claude 2.1.0' } } });
    const result = await server.run(['doctor']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/│ default │ echo\s+│ yes │ built in\s+│/);
    expect(result.stdout).toMatch(/│ coder\s+│ claude\s+│ yes │ claude 2\.1\.0 │/);
  });

  it('exits 1 naming the agents that cannot run', async () => {
    const server = createFakeServer({ agents: [fakeAgent(), fakeAgent({ name: 'coder', provider: 'codex' })],
      checks: { coder: { agent: 'coder', provider: 'codex', ok: false, detail: 'codex could not be started: it was not found' } } });
    const result = await server.run(['doctor']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/│ coder\s+│ codex\s+│ NO\s+│ codex could not be started: it was not found │/);
    expect(result.stderr).toBe('sb: 1 of 2 agents cannot run: coder\n');
  });

  it('warns about an agent whose contacts\' turns run without the sandbox, and still exits 0', async () => {
    const warning = 'sandbox off: contacts\' turns run without the OS sandbox (sb agents set coder --sandbox on)';
    const server = createFakeServer({ agents: [fakeAgent({ name: 'coder', provider: 'claude' })],
      checks: { coder: { agent: 'coder', provider: 'claude', ok: true, detail: 'claude 2.1.0', warning } } });
    const result = await server.run(['doctor']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(`warning: agent coder: ${warning}\n`);
  });
});
