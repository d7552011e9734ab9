import { createFakeServer } from './cli-fake-server';

describe('sb program', () => {
  it('exits 1 with commander\'s message for an unknown command', async () => {
    const result = await createFakeServer().run(['contact']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: unknown command 'contact'");
    expect(result.stderr).toContain('(Did you mean contacts?)');
  });

  it('exits 1 for an unknown option and for a missing argument', async () => {
    const server = createFakeServer();
    expect(await server.run(['contacts', 'list', '--colour'])).toMatchObject({ code: 1, stderr: expect.stringContaining("unknown option '--colour'") });
    expect(await server.run(['memories', 'rm'])).toMatchObject({ code: 1, stderr: expect.stringContaining("missing required argument 'id'") });
    expect(server.requests).toHaveLength(0);
  });

  it('prints help to stdout and exits 0', async () => {
    const result = await createFakeServer().run(['--help']);
    expect(result.code).toBe(0);
    for (const noun of ['serve', 'chat', 'contacts', 'sessions', 'memories', 'pairing', 'agents']) expect(result.stdout).toContain(`  ${noun}`);
  });

  it('documents in chat\'s help that a group message mentions the bot unless --no-mention', async () => {
    const result = await createFakeServer().run(['chat', '--help']);
    expect(result.stdout).toContain('--no-mention');
    expect(result.stdout).toMatch(/counts as\s+mentioning the bot\s+unless --no-mention/);
  });
});
