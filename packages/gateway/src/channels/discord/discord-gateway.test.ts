import { describeEachServer } from '../../../../../test/server-harness';
import { startGateway, type RunningGateway } from '../../gateway';
import { createGuild, createUser, dmPacket, guildPacket, type DiscordUserPayload } from './testing/discord-packets';
import { startFakeDiscord, type FakeDiscord } from './testing/fake-discord-server';
import { until } from '../../../../../test/until';

const BOT = createUser('112233445566778899', 'Switchboard', null, true);
const TOKEN = `${Buffer.from(BOT.id).toString('base64')}.GhIjKl.fake-token-for-the-fake-discord`;
const ANA = createUser('80351110224678912', 'ana.silva', 'Ana Silva');
const BEN = createUser('172002275412279296', 'benk');
const GUILD = createGuild(BOT, [ANA, BEN]);

describeEachServer('Discord end to end (discord.js against a local fake Discord gateway and REST server)', (server) => {
  let fake: FakeDiscord;
  let gateway: RunningGateway;
  const logs: string[] = [];
  const sentIn = (channelId: string) => fake.sent.filter((message) => message.channelId === channelId);
  const nthReply = (channelId: string, n: number) => until(`reply ${n} in channel ${channelId}`, () => sentIn(channelId)[n - 1]);
  const dm = (user: DiscordUserPayload, text: string) => fake.dispatch(dmPacket(user, fake.dmChannelOf(user.id), text));

  beforeAll(async () => {
    fake = await startFakeDiscord({ token: TOKEN, bot: BOT, guilds: [GUILD] });
    await server.client().channels.add({ channel: 'discord', token: TOKEN, apiRoot: fake.api });
    gateway = await startGateway({ client: server.client(server.gatewayToken), log: (line) => logs.push(line), claimWaitMs: 1000 });
  });
  afterAll(async () => {
    await gateway.stop();
    await fake.close();
  });

  it('answers two people in their own DM channels, with isolated memories', async () => {
    const [anaDm, benDm] = [fake.dmChannelOf(ANA.id), fake.dmChannelOf(BEN.id)];
    dm(ANA, 'remember A likes green tea');
    expect((await nthReply(anaDm, 1)).content).toBe('remembered: A likes green tea');
    dm(BEN, 'recall');
    expect((await nthReply(benDm, 1)).content).toBe('no memories');
    dm(ANA, 'recall');
    expect((await nthReply(anaDm, 2)).content).toBe('A likes green tea');
    expect(fake.sent.filter((message) => message.content.includes('green tea') && message.channelId !== anaDm)).toEqual([]);
    expect(sentIn(anaDm)[0]?.message_reference?.message_id).toMatch(/^\d+$/);
    expect(gateway.accounts).toEqual([`discord:${BOT.id}`]);
  });

  it('shows typing in the DM channel while a turn runs', async () => {
    const anaDm = fake.dmChannelOf(ANA.id);
    dm(ANA, 'hello');
    await nthReply(anaDm, 3);
    expect(fake.typingIn).toContain(anaDm);
  });

  it('answers in a server channel only when mentioned, and in the thread it was asked in', async () => {
    fake.dispatch(guildPacket(GUILD, BEN, 'just chatting among ourselves'));
    fake.dispatch(guildPacket(GUILD, BEN, 'what is this', { mention: BOT }));
    expect((await nthReply(GUILD.channelId, 1)).content).toBe(`echo: <@${BOT.id}> what is this`);
    fake.dispatch(guildPacket(GUILD, ANA, 'in a thread', { mention: BOT, inThread: true }));
    expect((await nthReply(GUILD.threadId, 1)).content).toBe(`echo: <@${BOT.id}> in a thread`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sentIn(GUILD.channelId).map((message) => message.content)).toEqual([`echo: <@${BOT.id}> what is this`]);
  });

  it('answers a message Discord delivered twice once', async () => {
    const packet = dmPacket(BEN, fake.dmChannelOf(BEN.id), 'only once please');
    fake.dispatch(packet);
    fake.dispatch(packet);
    dm(BEN, 'and then this');
    await nthReply(fake.dmChannelOf(BEN.id), 3);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sentIn(fake.dmChannelOf(BEN.id)).map((message) => message.content)).toEqual(['no memories', 'echo: only once please', 'echo: and then this']);
  });

  it('parks a reply to someone whose DMs are closed (50007), for the owner to see', async () => {
    const closed = createUser('998877665544332211', 'private.person');
    fake.failSends(1, 403, { code: 50007, message: 'Cannot send messages to this user' });
    dm(closed, 'my DMs are closed');
    const failed = await until('the parked reply', async () =>
      (await server.client().outbox.list({ status: 'failed' })).find((item) => item.text === 'echo: my DMs are closed'));
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringContaining('Cannot send messages to this user') });
    expect(sentIn(fake.dmChannelOf(closed.id))).toEqual([]);
  });
});
