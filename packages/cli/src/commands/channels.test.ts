import { createFakeServer } from '../cli-fake-server';

describe('sb channels (fake HTTP server responses)', () => {
  it('adds a telegram bot for an agent and lists accounts without their tokens', async () => {
    const server = createFakeServer();
    const added = await server.run(['channels', 'add', 'telegram', '--token', '123456:AAsecretsecret', '--agent', 'default', '--api-root', 'http://127.0.0.1:9']);
    expect(added).toMatchObject({ code: 0, stdout: 'added telegram account 123456 for agent default\n' });
    expect(server.requests[0]?.body).toEqual({ channel: 'telegram', token: '123456:AAsecretsecret', agent: 'default', apiRoot: 'http://127.0.0.1:9' });
    const listed = await server.run(['channels']);
    expect(listed.stdout).toMatch(/│ telegram │ 123456\s+│ default │ http:\/\/127\.0\.0\.1:9 │/);
    expect(listed.stdout).not.toContain('secret');
  });

  it('tells how to link a whatsapp account after adding it, and removes accounts', async () => {
    const server = createFakeServer();
    expect((await server.run(['channels', 'add', 'whatsapp'])).stdout).toBe('added whatsapp account default for agent default\nnext: sb channels login whatsapp\n');
    expect((await server.run(['channels', 'rm', 'whatsapp', 'default'])).stdout).toBe('removed whatsapp account default\n');
    expect(await server.run(['channels', 'rm', 'whatsapp', 'default'])).toMatchObject({ code: 1, stderr: 'sb: Channel account whatsapp:default not found\n' });
  });

  it('refuses an unknown channel and a login for a bot channel without calling the server', async () => {
    const server = createFakeServer();
    expect(await server.run(['channels', 'add', 'fax', '--token', 'x'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^sb: channel: /) });
    expect(await server.run(['channels', 'login', 'telegram'])).toMatchObject({ code: 1, stderr: 'sb: telegram needs no login: add it with --token\n' });
    expect(server.requests).toHaveLength(0);
  });
});
