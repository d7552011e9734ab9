import { createApiClient, type GatewayAccount, type InboundMessage } from '@switchboard/shared';
import { describeEachServer } from '../../../test/server-harness';
import type { ChannelAdapter, OutgoingReply } from './channels/channel-adapter';
import { startGateway, type Connect } from './gateway';
import { until } from '../../../test/until';

/** An adapter with no platform behind it: records what the gateway asks of it. */
function fakeAdapter(account: GatewayAccount, events: string[]) {
  let deliver: ((message: InboundMessage) => Promise<void>) | undefined;
  const sent: OutgoingReply[] = [];
  const adapter: ChannelAdapter = {
    channel: account.channel,
    accountId: account.accountId,
    async start(onMessage) {
      deliver = onMessage;
      events.push(`start ${account.accountId}`);
    },
    async send(item) {
      sent.push(item);
    },
    async typing() {},
    async stop() {
      events.push(`stop ${account.accountId}`);
    },
  };
  return { adapter, sent, receive: (message: InboundMessage) => deliver?.(message) };
}

describeEachServer('gateway accounts (fake adapters)', (server) => {
  afterEach(async () => {
    for (const account of await server.client().channels.list()) await server.client().channels.remove(account.channel, account.accountId);
  });

  it('connects added accounts, drops removed ones, and keeps going when one cannot connect', async () => {
    const events: string[] = [];
    const logs: string[] = [];
    const fakes = new Map<string, ReturnType<typeof fakeAdapter>>();
    const connect: Connect = async (account) => {
      if (account.accountId === 'broken') throw new Error('the platform is down');
      const fake = fakeAdapter(account, events);
      fakes.set(account.accountId, fake);
      return fake.adapter;
    };
    await server.client().channels.add({ channel: 'whatsapp', accountId: 'broken' });
    await server.client().channels.add({ channel: 'whatsapp', accountId: 'first' });
    const gateway = await startGateway({
      client: server.client(server.gatewayToken), log: (line) => logs.push(line), connect: { whatsapp: connect }, claimWaitMs: 200, refreshMs: 60_000,
    });
    try {
      expect(gateway.accounts).toEqual(['whatsapp:first']);
      expect(logs.join('\n')).toContain('whatsapp:broken could not connect: the platform is down');

      await server.client().channels.add({ channel: 'whatsapp', accountId: 'second' });
      await server.client().channels.remove('whatsapp', 'first');
      await gateway.sync();
      expect(gateway.accounts).toEqual(['whatsapp:second']);
      expect(events).toEqual(['start first', 'stop first', 'start second']);

      // The account's agent answers, and the reply comes back through the outbox to this adapter.
      await fakes.get('second')?.receive({ channel: 'whatsapp', chat: { id: '491@s.whatsapp.net', type: 'direct' }, sender: { id: '491@s.whatsapp.net' }, messageId: 'wa-1', text: 'hello' });
      await until('the reply through the outbox', () => fakes.get('second')?.sent[0]);
      expect(fakes.get('second')?.sent.map((item) => [item.chatId, item.text])).toEqual([['491@s.whatsapp.net', 'echo: hello']]);
      // Acked after the send: wait for it.
      await until('the ack of the reply', async () => (await server.client().outbox.list({ status: 'sent', account: 'second' })).length === 1 || undefined);

      // A message the API refuses for good is logged and dropped, not retried: the adapter goes on.
      await expect(fakes.get('second')?.receive({ channel: 'whatsapp', chat: { id: 'a@s.whatsapp.net', type: 'direct' }, sender: { id: 'b@s.whatsapp.net' }, messageId: 'wa-2', text: 'x' }))
        .resolves.toBeUndefined();
      expect(logs.join('\n')).toMatch(/whatsapp:second message wa-2 refused: /);
    } finally {
      await gateway.stop();
    }
    expect(events.at(-1)).toBe('stop second');
  });

  it('runs an account in one gateway at a time and hands it over when that gateway stops', async () => {
    const events: string[] = [];
    const logs: string[] = [];
    const fakes = new Map<string, ReturnType<typeof fakeAdapter>>();
    const connectAs = (name: string): Connect => async (account) => {
      const fake = fakeAdapter(account, events);
      fakes.set(name, fake);
      events.push(`${name} connects`);
      return fake.adapter;
    };
    await server.client().channels.add({ channel: 'whatsapp', accountId: 'shared' });
    const start = (name: string) => startGateway({
      client: server.client(server.gatewayToken), log: (line) => logs.push(`${name}: ${line}`), connect: { whatsapp: connectAs(name) },
      claimWaitMs: 200, refreshMs: 60_000, holder: name,
    });
    const one = await start('one');
    const two = await start('two');
    try {
      expect(one.accounts).toEqual(['whatsapp:shared']);
      expect(two.accounts).toEqual([]);
      expect(logs).toContain('two: gateway: whatsapp:shared is run by another gateway; this one takes over if that one stops');
      await two.sync();
      expect(logs.filter((line) => line.includes('run by another gateway'))).toHaveLength(1);

      await one.stop();
      await two.sync();
      expect(two.accounts).toEqual(['whatsapp:shared']);
      expect(events).toEqual(['one connects', 'start shared', 'stop shared', 'two connects', 'start shared']);
      // The new holder answers: the reply comes back through its adapter.
      await fakes.get('two')?.receive({ channel: 'whatsapp', chat: { id: '492@s.whatsapp.net', type: 'direct' }, sender: { id: '492@s.whatsapp.net' }, messageId: 'wa-lease-1', text: 'still here?' });
      expect((await until('the reply through the second gateway', () => fakes.get('two')?.sent[0]))?.text).toBe('echo: still here?');
    } finally {
      await one.stop();
      await two.stop();
    }
  });

  it('drops an account it can no longer renew the lease of, and another gateway takes it over after expiry', async () => {
    const events: string[] = [];
    const logs: string[] = [];
    const connect: Connect = async (account) => fakeAdapter(account, events).adapter;
    await server.client().channels.add({ channel: 'whatsapp', accountId: 'cut-off' });
    let apiReachable = true;
    const cutOffClient = createApiClient({
      baseUrl: server.url, token: server.gatewayToken,
      fetch: (input, init) => (apiReachable ? fetch(input, init) : Promise.reject(new TypeError('fetch failed'))),
    });
    const cutOff = await startGateway({ client: cutOffClient, log: (line) => logs.push(line), connect: { whatsapp: connect }, claimWaitMs: 100, leaseMs: 600, holder: 'cut-off' });
    const other = await startGateway({
      client: server.client(server.gatewayToken), log: () => undefined, connect: { whatsapp: connect }, claimWaitMs: 100, leaseMs: 600, holder: 'other',
    });
    try {
      expect(cutOff.accounts).toEqual(['whatsapp:cut-off']);
      expect(other.accounts).toEqual([]);
      apiReachable = false;
      await until('the cut-off gateway to drop the account', () => (cutOff.accounts.length === 0 ? true : undefined), 5_000);
      expect(logs.join('\n')).toContain('whatsapp:cut-off disconnected (its lease could not be renewed)');
      await until('the other gateway to take it over', () => (other.accounts.includes('whatsapp:cut-off') ? true : undefined), 5_000);
      expect(events).toEqual(['start cut-off', 'stop cut-off', 'start cut-off']);

      // Back in reach, the first gateway syncs again (a failed sync never stops later ones) and leaves the account alone.
      apiReachable = true;
      await cutOff.sync();
      expect(cutOff.accounts).toEqual([]);
      expect(logs).toContain('gateway: whatsapp:cut-off is run by another gateway; this one takes over if that one stops');
    } finally {
      apiReachable = true;
      await cutOff.stop();
      await other.stop();
    }
  });
});
