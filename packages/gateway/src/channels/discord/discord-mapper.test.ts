import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InboundMessage } from '@switchboard/shared';
import { Client, ClientUser, Message, type Guild } from 'discord.js';
import { mapDiscordMessage } from './discord-mapper';

const FIXTURES = join(__dirname, 'fixtures');
const BOT_ID = '1262478110742265896';
const SETUP_PACKETS = ['ready.json', 'guild-create.json'];

interface GatewayPacket {
  t: string;
  d: Record<string, unknown>;
}

/** discord.js keeps these constructors internal; the gateway handlers call them the same way. */
const ClientUserClass = ClientUser as unknown as new (client: Client, data: unknown) => ClientUser;
const MessageClass = Message as unknown as new (client: Client, data: unknown) => Message;
type GuildCache = { _add(data: unknown): Guild };

function loadPacket(name: string): GatewayPacket {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as GatewayPacket;
}

/** A client in the state READY and GUILD_CREATE leave it in, without a connection. */
function createReadyClient(): Client {
  const client = new Client({ intents: [] });
  client.user = new ClientUserClass(client, loadPacket('ready.json').d.user);
  client.users.cache.set(client.user.id, client.user);
  (client.guilds as unknown as GuildCache)._add(loadPacket('guild-create.json').d);
  return client;
}

describe('mapDiscordMessage', () => {
  let client: Client;
  const mapFixture = (name: string) => mapDiscordMessage(new MessageClass(client, loadPacket(`${name}.json`).d), BOT_ID);

  beforeEach(() => {
    client = createReadyClient();
  });

  afterEach(async () => {
    await client.destroy();
  });

  it('maps a DM to a direct chat whose id is the author id', () => {
    expect(mapFixture('dm')).toEqual({
      channel: 'discord',
      accountId: BOT_ID,
      chat: { id: '80351110224678912', type: 'direct' },
      sender: { id: '80351110224678912', displayName: 'Ana Silva' },
      messageId: '1263995327518322728',
      text: 'hi there, can you help me?',
      mentioned: false,
    });
  });

  it('maps a guild channel message to a group chat, named by the username without a global name', () => {
    expect(mapFixture('guild-text')).toEqual({
      channel: 'discord',
      accountId: BOT_ID,
      chat: { id: '1262481096374849539', type: 'group', title: 'Switchboard testers #general' },
      sender: { id: '172002275412279296', displayName: 'benk' },
      messageId: '1263996102874017843',
      text: 'morning all',
      mentioned: false,
    });
  });

  it('marks an @-mention of the bot as mentioned and keeps the text as sent', () => {
    expect(mapFixture('guild-mention')).toMatchObject({
      text: `<@${BOT_ID}> what is on the agenda today?`,
      mentioned: true,
    });
  });

  it('marks a mention of the bot managed role as mentioned', () => {
    expect(mapFixture('guild-role-mention')?.mentioned).toBe(true);
  });

  it('marks a reply to one of the bot messages as mentioned, even without a ping', () => {
    expect(mapFixture('guild-reply-to-bot')).toMatchObject({ text: 'and where?', mentioned: true });
  });

  it('maps a thread message to the parent channel as chat (titled by it) and the thread as thread, named by nickname', () => {
    expect(mapFixture('thread-message')).toMatchObject({
      chat: { id: '1262481096374849539', type: 'group', title: 'Switchboard testers #general' },
      thread: { id: '1263990122156785714' },
      sender: { id: '80351110224678912', displayName: 'Ana (ops)' },
    });
  });

  it('uses the text sent with an attachment', () => {
    expect(mapFixture('image-with-text')?.text).toBe('what does this error mean?');
  });

  it.each([
    ['image', '[photo]'],
    ['voice-message', '[voice message]'],
    ['sticker', '[sticker]'],
    ['document', '[document: invoice.pdf]'],
  ])('describes %s without text as %s', (fixture, text) => {
    expect(mapFixture(fixture)?.text).toBe(text);
  });

  it('ignores its own messages and other bots', () => {
    expect(mapFixture('own-message')).toBeNull();
    expect(mapFixture('other-bot')).toBeNull();
  });

  it('ignores system messages', () => {
    expect(mapFixture('member-join')).toBeNull();
  });

  it('ignores edited messages', () => {
    expect(mapFixture('message-update')).toBeNull();
  });

  it('ignores a guild message whose content was withheld (no Message Content intent)', () => {
    expect(mapFixture('no-content-intent')).toBeNull();
  });

  it('produces messages that pass the inbound schema for every recorded message', () => {
    const mapped = readdirSync(FIXTURES)
      .filter((file) => !SETUP_PACKETS.includes(file))
      .map((file) => mapFixture(file.replace(/\.json$/, '')))
      .filter((message) => message !== null);
    expect(mapped.length).toBeGreaterThanOrEqual(10);
    for (const message of mapped) expect(InboundMessage.parse(message)).toEqual(message);
  });
});
