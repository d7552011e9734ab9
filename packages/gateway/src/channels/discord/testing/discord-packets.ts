/**
 * Discord gateway payloads for tests, shaped like recorded ones (API v10): READY, GUILD_CREATE for
 * a server with a text channel and a thread, and MESSAGE_CREATE in a DM, a channel and a thread.
 * Ids are real-looking snowflakes; DM messages carry `channel_type`, which discord.js needs to
 * build the DM channel it has not cached.
 */
export interface GatewayPacket {
  op: 0;
  t: string;
  s: number | null;
  d: Record<string, unknown>;
}

export interface DiscordUserPayload {
  id: string;
  username: string;
  global_name: string | null;
  bot?: boolean;
}

export interface DiscordGuildPayload {
  id: string;
  channelId: string;
  threadId: string;
  members: DiscordUserPayload[];
  packet: GatewayPacket;
}

const DISCORD_EPOCH = 1_420_070_400_000n;
let increment = 0n;

export function nextSnowflake(): string {
  return String(((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | (increment++ & 0xfffn));
}

export function createUser(id: string, username: string, globalName: string | null = null, bot = false): DiscordUserPayload {
  return { id, username, global_name: globalName, ...(bot ? { bot } : {}) };
}

function fullUser(user: DiscordUserPayload): Record<string, unknown> {
  return { avatar: null, discriminator: '0', public_flags: 0, flags: 0, banner: null, accent_color: null, avatar_decoration_data: null, ...user };
}

function packet(t: string, d: Record<string, unknown>): GatewayPacket {
  return { op: 0, t, s: null, d };
}

/** READY as Discord sends it: the bot, its guilds still unavailable, its application flags. */
export function readyPacket(bot: DiscordUserPayload, guildIds: string[], applicationFlags: number): GatewayPacket {
  return packet('READY', {
    v: 10, user: { ...fullUser(bot), verified: true, mfa_enabled: false, email: null }, user_settings: {}, session_type: 'normal',
    session_id: 'f3b1c0d9e8a7b6c5d4e3f2a1b0c9d8e7', resume_gateway_url: '', relationships: [], private_channels: [],
    presences: [], guilds: guildIds.map((id) => ({ id, unavailable: true })), guild_join_requests: [],
    geo_ordered_rtc_regions: ['newark'], auth: {}, application: { id: bot.id, flags: applicationFlags }, shard: [0, 1],
  });
}

/** A server with #general and a public thread in it; the bot and `people` are members. */
export function createGuild(bot: DiscordUserPayload, people: DiscordUserPayload[]): DiscordGuildPayload {
  const id = nextSnowflake();
  const channelId = nextSnowflake();
  const threadId = nextSnowflake();
  const botRole = nextSnowflake();
  const member = (user: DiscordUserPayload, roles: string[]) => ({
    user: fullUser(user), nick: null, avatar: null, roles, joined_at: '2024-07-14T09:12:33.215000+00:00',
    premium_since: null, deaf: false, mute: false, pending: false, flags: 0, communication_disabled_until: null,
  });
  const d = {
    id, name: 'Switchboard testers', icon: null, description: null, owner_id: people[0]?.id ?? bot.id, afk_channel_id: null,
    afk_timeout: 300, verification_level: 1, default_message_notifications: 1, explicit_content_filter: 2, features: [],
    mfa_level: 0, application_id: null, system_channel_id: channelId, system_channel_flags: 0, rules_channel_id: null,
    premium_tier: 0, preferred_locale: 'en-US', nsfw_level: 0, joined_at: '2024-07-14T10:02:47.918000+00:00',
    large: false, unavailable: false, member_count: people.length + 1, emojis: [], stickers: [], voice_states: [],
    presences: [], stage_instances: [], guild_scheduled_events: [], soundboard_sounds: [],
    roles: [
      { id, name: '@everyone', permissions: '2222085186637376', position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 },
      { id: botRole, name: bot.username, permissions: '277025508416', position: 1, color: 0, hoist: false, managed: true, mentionable: false, flags: 0, tags: { bot_id: bot.id } },
    ],
    members: [...people.map((person) => member(person, [])), member(bot, [botRole])],
    channels: [{ id: channelId, type: 0, name: 'general', position: 0, parent_id: null, topic: null, nsfw: false, rate_limit_per_user: 0, last_message_id: null, flags: 0, permission_overwrites: [] }],
    threads: [{
      id: threadId, type: 11, guild_id: id, parent_id: channelId, owner_id: people[0]?.id ?? bot.id, name: 'deploy questions',
      last_message_id: null, rate_limit_per_user: 0, flags: 0, message_count: 0, member_count: 1, total_message_sent: 0,
      thread_metadata: { archived: false, archive_timestamp: '2024-07-18T08:30:11.402000+00:00', auto_archive_duration: 1440, locked: false },
    }],
  };
  return { id, channelId, threadId, members: people, packet: packet('GUILD_CREATE', d) };
}

function messagePacket(author: DiscordUserPayload, text: string, extra: Record<string, unknown>): GatewayPacket {
  return packet('MESSAGE_CREATE', {
    id: nextSnowflake(), type: 0, content: text, author: fullUser(author), timestamp: new Date().toISOString(),
    edited_timestamp: null, tts: false, mention_everyone: false, mentions: [], mention_roles: [], attachments: [],
    embeds: [], components: [], pinned: false, flags: 0, nonce: null, ...extra,
  });
}

/** A DM: its channel is the DM channel between `author` and the bot. */
export function dmPacket(author: DiscordUserPayload, dmChannelId: string, text: string): GatewayPacket {
  return messagePacket(author, text, { channel_id: dmChannelId, channel_type: 1 });
}

/** A message in #general, or in its thread; `mention` @-mentions the bot at the start of the text. */
export function guildPacket(
  guild: DiscordGuildPayload,
  author: DiscordUserPayload,
  text: string,
  options: { mention?: DiscordUserPayload; inThread?: boolean } = {},
): GatewayPacket {
  const { mention, inThread = false } = options;
  return messagePacket(author, mention ? `<@${mention.id}> ${text}` : text, {
    channel_id: inThread ? guild.threadId : guild.channelId,
    channel_type: inThread ? 11 : 0,
    guild_id: guild.id,
    member: { nick: null, avatar: null, roles: [], joined_at: '2024-07-14T09:12:33.215000+00:00', deaf: false, mute: false, flags: 0 },
    mentions: mention ? [{ ...fullUser(mention), member: { nick: null, roles: [], joined_at: '2024-07-14T10:02:47.918000+00:00', deaf: false, mute: false, flags: 0 } }] : [],
  });
}
