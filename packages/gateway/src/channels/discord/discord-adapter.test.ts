import type { ApiClient, GatewayAccount, InboundMessage, OutboxItem } from '@switchboard/shared';
import { Status, type Client } from 'discord.js';
import { PermanentSendError } from '../channel-adapter';
import { connectDiscord, createDiscordAdapter, createDiscordClient } from './discord-connect';
import { createGuild, createUser, dmPacket, guildPacket, nextSnowflake, readyPacket, type GatewayPacket } from './testing/discord-packets';
import { GATEWAY_MESSAGE_CONTENT, startFakeDiscord, type FakeDiscord } from './testing/fake-discord-server';
import { until } from '../../../../../test/until';

const BOT = createUser('112233445566778899', 'Switchboard', null, true);
const TOKEN = `${Buffer.from(BOT.id).toString('base64')}.GhIjKl.fake-token-for-the-fake-discord`;
const ANA = createUser('80351110224678912', 'ana.silva', 'Ana Silva');
const BEN = createUser('172002275412279296', 'benk');
const GUILD = createGuild(BOT, [ANA, BEN]);
const INTENTS = { Guilds: 1 << 0, GuildMessages: 1 << 9, DirectMessages: 1 << 12, MessageContent: 1 << 15 };

function accountOn(fake: FakeDiscord): GatewayAccount {
  return { channel: 'discord', accountId: BOT.id, agent: 'default', apiRoot: fake.api, token: TOKEN, createdAt: new Date() };
}

function reply(fields: Partial<OutboxItem> & Pick<OutboxItem, 'chatId' | 'text'>): OutboxItem {
  return {
    id: '00000000-0000-4000-8000-000000000001', eventId: '00000000-0000-4000-8000-000000000002', contactId: null,
    channel: 'discord', accountId: BOT.id, threadId: null, replyTo: null, status: 'pending', attempts: 0, lastError: null,
    createdAt: new Date(), ...fields,
  };
}

/** Feeds gateway packets to a client that never logged in, through discord.js's own packet handlers. */
function replay(client: Client, ...packets: GatewayPacket[]): void {
  type Shard = { id: number; checkReady(): void };
  const ws = client.ws as unknown as { status: Status; handlePacket(packet: GatewayPacket, shard: Shard): boolean };
  ws.status = Status.Ready;
  for (const packet of packets) ws.handlePacket(packet, { id: 0, checkReady: () => undefined });
}

describe('createDiscordAdapter (a discord.js Client fed recorded gateway packets, against a local fake Discord REST server)', () => {
  let fake: FakeDiscord;
  let client: Client;
  let adapter: ReturnType<typeof createDiscordAdapter>;
  let received: InboundMessage[];
  const logs: string[] = [];
  let onMessage: (message: InboundMessage) => Promise<void>;

  beforeEach(async () => {
    fake = await startFakeDiscord({ token: TOKEN, bot: BOT, guilds: [GUILD] });
    client = createDiscordClient(accountOn(fake));
    client.rest.setToken(TOKEN);
    replay(client, readyPacket(BOT, [GUILD.id], GATEWAY_MESSAGE_CONTENT), GUILD.packet);
    received = [];
    onMessage = async (message) => { received.push(message); };
    adapter = createDiscordAdapter(client, accountOn(fake), (line) => logs.push(line));
    await adapter.start((message) => onMessage(message));
  });

  afterEach(async () => {
    await adapter.stop();
    await fake.close();
  });

  it('passes a DM, a mention in a channel and a thread message on, mapped and in order', async () => {
    const dm = dmPacket(ANA, fake.dmChannelOf(ANA.id), 'remember I like green tea');
    replay(client, dm, guildPacket(GUILD, BEN, 'what is on today?', { mention: BOT }), guildPacket(GUILD, ANA, 'is staging up?', { inThread: true }));
    await until('three messages', () => received[2]);
    expect(received).toEqual([
      {
        channel: 'discord', accountId: BOT.id, chat: { id: ANA.id, type: 'direct' }, sender: { id: ANA.id, displayName: 'Ana Silva' },
        messageId: dm.d.id, text: 'remember I like green tea', mentioned: false,
      },
      expect.objectContaining({ chat: { id: GUILD.channelId, type: 'group', title: 'Switchboard testers #general' }, sender: { id: BEN.id, displayName: 'benk' }, mentioned: true }),
      expect.objectContaining({ chat: { id: GUILD.channelId, type: 'group', title: 'Switchboard testers #general' }, thread: { id: GUILD.threadId }, text: 'is staging up?' }),
    ]);
  });

  it('ignores its own messages', async () => {
    replay(client, guildPacket(GUILD, BOT, 'my own reply'), guildPacket(GUILD, BEN, 'after it'));
    await until('the message after it', () => received[0]);
    expect(received.map((message) => message.text)).toEqual(['after it']);
  });

  it('posts a message again when the API did not take it the first time', async () => {
    let attempts = 0;
    onMessage = async (message) => {
      if (++attempts === 1) throw new Error('API unavailable');
      received.push(message);
    };
    replay(client, dmPacket(ANA, fake.dmChannelOf(ANA.id), 'are you there?'));
    expect((await until('the retried message', () => received[0])).text).toBe('are you there?');
    expect(attempts).toBe(2);
    expect(logs.join('\n')).toContain('not accepted yet: Error: API unavailable');
  });

  it('sends a thread reply into the thread, as a reply to the asking message, pinging nobody else', async () => {
    await adapter.send(reply({ chatId: GUILD.channelId, threadId: GUILD.threadId, replyTo: '1263996877210652753', text: 'yes, since 9:00' }));
    expect(fake.sent).toEqual([{
      channelId: GUILD.threadId, content: 'yes, since 9:00',
      message_reference: { message_id: '1263996877210652753', fail_if_not_exists: false },
      allowed_mentions: { parse: [], replied_user: true },
    }]);
  });

  it('sends a channel reply into the channel', async () => {
    await adapter.send(reply({ chatId: GUILD.channelId, text: 'morning' }));
    expect(fake.sent).toEqual([expect.objectContaining({ channelId: GUILD.channelId, content: 'morning' })]);
  });

  it('sends a DM reply to the DM channel the person wrote from, without opening another', async () => {
    replay(client, dmPacket(ANA, fake.dmChannelOf(ANA.id), 'hello'));
    await until('the DM', () => received[0]);
    await adapter.send(reply({ chatId: ANA.id, text: 'hi Ana' }));
    expect(fake.sent).toEqual([expect.objectContaining({ channelId: fake.dmChannelOf(ANA.id), content: 'hi Ana' })]);
    expect(fake.dmsOpened).toEqual([]);
  });

  it('opens a DM channel for a person not seen since the gateway started', async () => {
    const stranger = nextSnowflake();
    await adapter.send(reply({ chatId: stranger, text: 'your reminder' }));
    expect(fake.dmsOpened).toEqual([stranger]);
    expect(fake.sent).toEqual([expect.objectContaining({ channelId: fake.dmChannelOf(stranger), content: 'your reminder' })]);
  });

  it('splits a 4,500-character reply into three messages of at most 2000, only the first a reply', async () => {
    const text = `${Array.from({ length: 900 }, (_, i) => `w${String(i).padStart(3, '0')}`).join(' ')}!`;
    expect(text).toHaveLength(4500);
    await adapter.send(reply({ chatId: GUILD.channelId, replyTo: '1263996102874017843', text }));
    expect(fake.sent).toHaveLength(3);
    expect(fake.sent.every((message) => message.content.length <= 2000 && message.channelId === GUILD.channelId)).toBe(true);
    expect(fake.sent.map((message) => message.content).join(' ')).toBe(text);
    expect(fake.sent.map((message) => message.message_reference?.message_id)).toEqual(['1263996102874017843', undefined, undefined]);
  });

  it('turns "Cannot send messages to this user" (50007) into a PermanentSendError', async () => {
    fake.failSends(1, 403, { code: 50007, message: 'Cannot send messages to this user' });
    const sending = adapter.send(reply({ chatId: ANA.id, text: 'hello?' }));
    await expect(sending).rejects.toBeInstanceOf(PermanentSendError);
    await expect(sending).rejects.toThrow(/cannot send messages to this user/i);
  });

  it('treats a thread that no longer exists (10003) as permanent', async () => {
    await expect(adapter.send(reply({ chatId: GUILD.channelId, threadId: nextSnowflake(), text: 'too late' }))).rejects.toBeInstanceOf(PermanentSendError);
  });

  it('leaves a server error (500) retryable, not a PermanentSendError', async () => {
    fake.failSends(4, 500, { code: 0, message: '500: Internal Server Error' }); // discord.js itself retries a 5xx three times
    const sending = adapter.send(reply({ chatId: GUILD.channelId, text: 'later' }));
    await expect(sending).rejects.toThrow(/Internal Server Error/);
    await expect(sending).rejects.not.toBeInstanceOf(PermanentSendError);
    expect(fake.sent).toEqual([]);
  });

  it('shows typing in a thread, and in the DM channel of a person', async () => {
    await adapter.typing(GUILD.channelId, GUILD.threadId);
    await adapter.typing(ANA.id, null);
    expect(fake.typingIn).toEqual([GUILD.threadId, fake.dmChannelOf(ANA.id)]);
  });

  it('stops listening when stopped', async () => {
    await adapter.stop();
    replay(client, dmPacket(ANA, fake.dmChannelOf(ANA.id), 'anyone?'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received).toEqual([]);
    expect(client.listenerCount('messageCreate')).toBe(0);
  });
});

describe('connectDiscord (discord.js logging in to a local fake Discord gateway and REST server)', () => {
  let fake: FakeDiscord;
  const deps = { client: {} as ApiClient, log: () => undefined };

  beforeEach(async () => {
    fake = await startFakeDiscord({ token: TOKEN, bot: BOT, guilds: [GUILD] });
  });

  afterEach(async () => {
    await fake.close();
  });

  it('logs in with the message content intent, receives a DM over the websocket, answers it and disconnects on stop', async () => {
    const received: InboundMessage[] = [];
    const adapter = await connectDiscord(accountOn(fake), deps);
    await adapter.start(async (message) => { received.push(message); });
    const [session] = fake.sessions;
    expect(session?.intents).toBe(INTENTS.Guilds | INTENTS.GuildMessages | INTENTS.DirectMessages | INTENTS.MessageContent);

    fake.dispatch(dmPacket(ANA, fake.dmChannelOf(ANA.id), 'hello over the gateway'));
    expect(await until('the DM', () => received[0])).toMatchObject({ chat: { id: ANA.id, type: 'direct' }, text: 'hello over the gateway' });
    await adapter.send(reply({ chatId: ANA.id, text: 'hello back' }));
    expect(fake.sent).toEqual([expect.objectContaining({ channelId: fake.dmChannelOf(ANA.id), content: 'hello back' })]);

    await adapter.stop();
    expect(session?.closeCode).toBe(1000);
  });

  it('refuses to start when Discord rejects the Message Content intent (close code 4014), saying how to turn it on', async () => {
    fake.refuseMessageContent = true;
    const adapter = await connectDiscord(accountOn(fake), deps);
    await expect(adapter.start(async () => undefined)).rejects.toThrow(/"Message Content Intent".*Bot → Privileged Gateway Intents/);
    expect(fake.sessions[0]?.closeCode).toBe(4014);
  });

  it('refuses to start when the application flags lack the Message Content intent, and disconnects', async () => {
    fake.applicationFlags = 0;
    const adapter = await connectDiscord(accountOn(fake), deps);
    await expect(adapter.start(async () => undefined)).rejects.toThrow(/"Message Content Intent"/);
    expect(fake.sessions[0]?.closeCode).toBe(1000);
  });

  it('accepts the limited Message Content flag of a bot in under 100 servers', async () => {
    fake.applicationFlags = 1 << 19;
    const adapter = await connectDiscord(accountOn(fake), deps);
    await adapter.start(async () => undefined);
    expect(fake.sessions[0]?.identified).toBe(true);
    await adapter.stop();
  });

  it('logs when Discord ends the session for good (4004, a reset token), as discord.js will not reconnect', async () => {
    const logs: string[] = [];
    const adapter = await connectDiscord(accountOn(fake), { ...deps, log: (line) => logs.push(line) });
    await adapter.start(async () => undefined);
    fake.sessions[0]?.close(4004, 'Authentication failed.');
    expect(await until('the log line', () => logs.find((line) => line.includes('close code 4004')))).toContain(`discord bot ${BOT.id} was disconnected for good`);
    await adapter.stop();
  });

  it('names the bot when Discord rejects its token', async () => {
    const adapter = await connectDiscord({ ...accountOn(fake), token: `${TOKEN}-revoked` }, deps);
    await expect(adapter.start(async () => undefined)).rejects.toThrow(`Discord bot ${BOT.id} could not log in`);
  });
});
