import type { GatewayAccount, InboundMessage } from '@switchboard/shared';
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
      expect(await server.client().outbox.list({ status: 'sent', account: 'second' })).toHaveLength(1);

      // A message the API refuses for good is logged and dropped, not retried: the adapter goes on.
      await expect(fakes.get('second')?.receive({ channel: 'whatsapp', chat: { id: 'a@s.whatsapp.net', type: 'direct' }, sender: { id: 'b@s.whatsapp.net' }, messageId: 'wa-2', text: 'x' }))
        .resolves.toBeUndefined();
      expect(logs.join('\n')).toMatch(/whatsapp:second message wa-2 refused: /);
    } finally {
      await gateway.stop();
    }
    expect(events.at(-1)).toBe('stop second');
  });
});
