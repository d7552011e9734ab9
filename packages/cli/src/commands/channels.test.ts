import { createFakeServer } from '../cli-fake-server';
import type { WhatsappLogin } from './channels';

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

  it('prints the QR code of a whatsapp login in the terminal, and leaves a linked account alone', async () => {
    const server = createFakeServer();
    await server.run(['channels', 'add', 'whatsapp']);
    const calls: { relink: boolean | undefined }[] = [];
    const gateway: WhatsappLogin = {
      async loginWhatsapp(account, deps) {
        calls.push({ relink: deps.relink });
        if (!deps.relink) return { me: '4915100000000@s.whatsapp.net', alreadyLinked: true };
        deps.onQr('2@fake-qr-payload,for,tests');
        return { me: `4915100000000@s.whatsapp.net (${account.accountId})`, alreadyLinked: false };
      },
    };
    const linked = await server.run(['channels', 'login', 'whatsapp'], { gateway });
    expect(linked.stdout).toBe('whatsapp account default is already linked as 4915100000000@s.whatsapp.net (--relink links another phone)\n');
    const relinked = await server.run(['channels', 'login', 'whatsapp', '--relink'], { gateway });
    expect(relinked.code).toBe(0);
    expect(relinked.stdout).toMatch(/^Scan this code with WhatsApp/);
    expect(relinked.stdout).toContain('▄');
    expect(relinked.stdout).toMatch(/linked: whatsapp account default is 4915100000000@s\.whatsapp\.net \(default\)\n$/);
    expect(calls).toEqual([{ relink: false }, { relink: true }]);
    expect(await server.run(['channels', 'login', 'whatsapp', '--account', 'other'], { gateway }))
      .toMatchObject({ code: 1, stderr: 'sb: no whatsapp account other: add it with `sb channels add whatsapp`\n' });
  });
});
