import { createFakeServer, fakeContact } from '../cli-fake-server';

describe('sb chat (fake HTTP server responses)', () => {
  it('posts -m as a direct message with a fresh uuid, waits, and prints the reply', async () => {
    const server = createFakeServer();
    const first = await server.run(['chat', '--sender', 'telegram:123', '-m', 'hi there']);
    await server.run(['chat', '--sender', 'telegram:123', '-m', 'again']);
    expect(first).toEqual({ code: 0, stdout: 'echo: hi there\n', stderr: '' });
    const [one, two] = server.requests;
    expect(one).toMatchObject({ method: 'POST', path: '/v1/inbound', query: { wait: 'true' } });
    expect(one?.body).toMatchObject({ channel: 'telegram', chat: { id: '123', type: 'direct' }, sender: { id: '123' }, text: 'hi there' });
    // Without --account the reply is only printed: no channel account is asked to send it.
    expect(one?.body).toMatchObject({ deliver: false });
    expect(one?.body).not.toHaveProperty('accountId');
    const ids = [one, two].map((request) => (request?.body as { messageId: string }).messageId);
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ids[1]).not.toBe(ids[0]);
  });

  it('prints a streamed reply as it grows with --stream', async () => {
    const server = createFakeServer();
    const result = await server.run(['chat', '--sender', 'telegram:123', '-m', 'hello there', '--stream']);
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: '/v1/inbound', query: { wait: 'true', stream: 'true' } });
    expect(result).toMatchObject({ code: 0, stdout: 'echo: hello there\n' });
  });

  it('sends a group message as mentioning the bot unless --no-mention is given', async () => {
    const server = createFakeServer();
    await server.run(['chat', '--group', 'telegram:-100', '--sender', 'telegram:123', '-m', 'hey bot']);
    await server.run(['chat', '--group', 'telegram:-100', '--sender', 'telegram:123', '--no-mention', '-m', 'psst']);
    expect(server.requests[0]?.body).toMatchObject({ chat: { id: '-100', type: 'group' }, mentioned: true });
    expect(server.requests[1]?.body).toMatchObject({ chat: { id: '-100', type: 'group' }, mentioned: false });
  });

  it('prints the status of an unanswered message and the pairing code it carries', async () => {
    const server = createFakeServer({
      answer: () => ({ eventId: '8d1f6a63-2a51-4c4e-9d49-7f0a8a3f3c10', contactId: null, status: 'blocked', reason: 'pairing_pending', reply: { text: 'Your pairing code is AB12CD34.' } }),
    });
    const result = await server.run(['chat', '--sender', 'telegram:9', '-m', 'hello?']);
    expect(result.stdout).toBe('[blocked: pairing_pending]\nYour pairing code is AB12CD34.\n');
  });

  it('prints the raw answer with --json', async () => {
    const server = createFakeServer();
    const result = await server.run(['chat', '-m', 'recall', '--json']);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'done', reply: { text: 'echo: recall' } });
    expect(server.requests[0]?.body).toMatchObject({ channel: 'cli', text: 'recall' });
  });

  it('looks up --contact and speaks as its first identity', async () => {
    const contact = fakeContact({ identities: [{ channel: 'whatsapp', externalId: '4915550001' }] });
    const server = createFakeServer({ contacts: [contact] });
    await server.run(['chat', '--contact', contact.id, '-m', 'hi']);
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /v1/contacts/${contact.id}`, 'POST /v1/inbound']);
    expect(server.requests[1]?.body).toMatchObject({ channel: 'whatsapp', sender: { id: '4915550001' } });
  });

  it('sends each input line until /quit, skipping blank lines', async () => {
    const server = createFakeServer();
    const result = await server.run(['chat', '--sender', 'discord:7'], { input: 'one\n\n two \n/quit\nthree\n' });
    expect(result.stdout).toBe('echo: one\necho: two\n');
    expect(server.requests).toHaveLength(2);
  });

  it('ends the interactive chat at end of input and keeps going after a rejected message', async () => {
    const server = createFakeServer();
    const long = 'x'.repeat(32_001);
    const result = await server.run(['chat'], { input: `${long}\nstill here\n` });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^sb: message\.text: Too big/);
    expect(result.stdout).toBe('echo: still here\n');
  });

  it('posts as received by the channel account named with --account, so the reply is also sent through it', async () => {
    const account = { channel: 'telegram' as const, accountId: '777', agent: 'default', apiRoot: null, createdAt: new Date() };
    const server = createFakeServer({ channels: [account] });
    const result = await server.run(['chat', '--sender', 'telegram:123', '--account', '777', '-m', 'hi']);
    expect(result).toEqual({ code: 0, stdout: 'echo: hi\n', stderr: '' });
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/channels', 'POST /v1/inbound']);
    expect(server.requests[1]?.body).toMatchObject({ channel: 'telegram', accountId: '777', sender: { id: '123' } });
    expect(server.requests[1]?.body).not.toHaveProperty('deliver');
  });

  it('refuses an --account that no channel account of that channel has, naming the ones there are', async () => {
    const account = { channel: 'telegram' as const, accountId: '777', agent: 'default', apiRoot: null, createdAt: new Date() };
    const server = createFakeServer({ channels: [account] });
    const typo = await server.run(['chat', '--sender', 'telegram:123', '--account', '778', '-m', 'hi']);
    expect(typo).toEqual({ code: 1, stdout: '', stderr: 'sb: there is no telegram account 778 (telegram accounts: 777)\n' });
    const none = await server.run(['chat', '--sender', 'discord:5', '--account', '777', '-m', 'hi']);
    expect(none.stderr).toBe('sb: there is no discord account 777 (add one with sb channels add discord)\n');
    const owner = await server.run(['chat', '--account', '777', '-m', 'hi']);
    expect(owner).toMatchObject({ code: 1, stderr: 'sb: --account needs a sender (--sender or --contact)\n' });
    expect(server.requests.filter((r) => r.path === '/v1/inbound')).toHaveLength(0);
  });

  it('reports a bad --sender in one line and exits 1 without calling the server', async () => {
    const server = createFakeServer();
    const result = await server.run(['chat', '--sender', 'fax:1', '-m', 'hi']);
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'sb: --sender: unknown channel "fax" (one of telegram, whatsapp, discord, cli, web)\n' });
    expect(server.requests).toHaveLength(0);
  });
});
