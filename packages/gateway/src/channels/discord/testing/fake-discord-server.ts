/**
 * A local fake of Discord for tests: the REST API discord.js calls (`<api>/v10/...`, `Bot` token,
 * JSON error bodies `{code, message}`) and, on the same port, the websocket gateway it logs in to.
 * REST: GET /gateway/bot, GET /applications/@me, GET /channels/:id, POST /users/@me/channels (opens
 * a DM), POST /channels/:id/messages and /typing (recorded). Sends can be told to fail.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { openGatewaySession, type GatewaySession, type GatewayWorld } from './fake-discord-gateway';
import { createUser, nextSnowflake, type DiscordGuildPayload, type DiscordUserPayload } from './discord-packets';

export interface SentDiscordMessage {
  channelId: string;
  content: string;
  message_reference?: { message_id: string; fail_if_not_exists?: boolean };
  allowed_mentions?: { parse?: string[]; replied_user?: boolean };
}

export interface FakeDiscord extends GatewayWorld {
  /** The REST root to give discord.js as `rest.api` (or an account's apiRoot). */
  api: string;
  sent: SentDiscordMessage[];
  typingIn: string[];
  /** Recipients of every DM channel opened through REST. */
  dmsOpened: string[];
  sessions: GatewaySession[];
  /** The DM channel between the bot and a user (the same one REST opens for them). */
  dmChannelOf(userId: string): string;
  /** Makes the next `count` message sends fail with this HTTP status and Discord error body. */
  failSends(count: number, status: number, error: { code: number; message: string }): void;
  /** Sends a gateway event to every logged-in session. */
  dispatch(packet: { t: string; d: Record<string, unknown> }): void;
  close(): Promise<void>;
}

type Reply = [status: number, body?: unknown];

export const GATEWAY_MESSAGE_CONTENT = 1 << 18;

export async function startFakeDiscord(options: { token: string; bot: DiscordUserPayload; guilds?: DiscordGuildPayload[] }): Promise<FakeDiscord> {
  const dmChannels = new Map<string, string>();
  const upgraded = new Set<Duplex>();
  let failures = { count: 0, status: 0, error: { code: 0, message: '' } };

  const fake: FakeDiscord = {
    api: '', token: options.token, bot: options.bot, guilds: options.guilds ?? [],
    applicationFlags: GATEWAY_MESSAGE_CONTENT, refuseMessageContent: false,
    sent: [], typingIn: [], dmsOpened: [], sessions: [],
    dmChannelOf(userId) {
      const id = dmChannels.get(userId) ?? nextSnowflake();
      dmChannels.set(userId, id);
      return id;
    },
    failSends(count, status, error) {
      failures = { count, status, error };
    },
    dispatch(packet) {
      for (const session of fake.sessions) if (session.identified && session.closeCode === undefined) session.dispatch(packet.t, packet.d);
    },
    close: () => new Promise((resolve) => {
      for (const socket of upgraded) socket.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };

  /** Guild channels and threads from the guild payloads, DM channels from the opened ones. */
  function findChannel(id: string): Record<string, unknown> | undefined {
    for (const guild of fake.guilds) {
      const { channels, threads } = guild.packet.d as { channels: { id: string }[]; threads: { id: string }[] };
      const found = [...channels, ...threads].find((channel) => channel.id === id);
      if (found) return { ...found, guild_id: guild.id };
    }
    const recipient = [...dmChannels].find(([, channelId]) => channelId === id)?.[0];
    return recipient === undefined ? undefined : dmChannel(recipient);
  }

  function dmChannel(userId: string): Record<string, unknown> {
    const known = fake.guilds.flatMap((guild) => guild.members).find((user) => user.id === userId);
    return { id: fake.dmChannelOf(userId), type: 1, last_message_id: null, flags: 0, recipients: [known ?? createUser(userId, `user${userId}`)] };
  }

  function postMessage(channelId: string, body: Omit<SentDiscordMessage, 'channelId'>): Reply {
    if (!findChannel(channelId)) return unknownChannel();
    if (failures.count > 0) {
      failures.count--;
      return [failures.status, failures.error];
    }
    const { content, message_reference, allowed_mentions } = body;
    fake.sent.push({ channelId, content, ...(message_reference ? { message_reference } : {}), ...(allowed_mentions ? { allowed_mentions } : {}) });
    return [200, {
      id: nextSnowflake(), channel_id: channelId, type: body.message_reference ? 19 : 0, content: body.content,
      author: { ...options.bot, avatar: null, discriminator: '0', public_flags: 0, flags: 0 }, timestamp: new Date().toISOString(),
      edited_timestamp: null, tts: false, mention_everyone: false, mentions: [], mention_roles: [], attachments: [], embeds: [],
      components: [], pinned: false, flags: 0, ...(body.message_reference ? { message_reference: { ...body.message_reference, channel_id: channelId } } : {}),
    }];
  }

  function route(method: string, path: string, body: Record<string, unknown>): Reply {
    const [, resource, id = '', action] = path.split('/');
    const key = `${method} /${resource ?? ''}${id === '' ? '' : '/:id'}${action === undefined ? '' : `/${action}`}`;
    switch (key) {
      case 'GET /gateway/:id':
        return [200, { url: fake.api.replace(/^http/, 'ws').replace(/\/api$/, '/gateway'), shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 } }];
      case 'GET /applications/:id':
        return [200, { id: options.bot.id, name: options.bot.username, icon: null, description: '', bot_public: true, bot_require_code_grant: false, flags: fake.applicationFlags, verify_key: 'a'.repeat(64), team: null }];
      case 'GET /channels/:id': {
        const channel = findChannel(id);
        return channel ? [200, channel] : unknownChannel();
      }
      case 'POST /users/:id/channels': {
        const recipient = String(body.recipient_id);
        fake.dmsOpened.push(recipient);
        return [200, dmChannel(recipient)];
      }
      case 'POST /channels/:id/messages':
        return postMessage(id, body as Omit<SentDiscordMessage, 'channelId'>);
      case 'POST /channels/:id/typing':
        if (!findChannel(id)) return unknownChannel();
        fake.typingIn.push(id);
        return [204];
      default:
        return [404, { message: '404: Not Found', code: 0 }];
    }
  }

  const server: Server = createServer(async (req: IncomingMessage, res) => {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    const path = /^\/api\/v10(\/[^?]*)/.exec(req.url ?? '')?.[1] ?? '';
    const [status, body] = req.headers.authorization === `Bot ${fake.token}`
      ? route(req.method ?? 'GET', path, text ? (JSON.parse(text) as Record<string, unknown>) : {})
      : [401, { message: '401: Unauthorized', code: 0 }];
    res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    upgraded.add(socket.once('close', () => upgraded.delete(socket)));
    fake.sessions.push(openGatewaySession(req, socket, fake));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  fake.api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  return fake;
}

function unknownChannel(): Reply {
  return [404, { message: 'Unknown Channel', code: 10003 }];
}
