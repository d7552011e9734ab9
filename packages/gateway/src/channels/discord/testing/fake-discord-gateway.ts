/**
 * The gateway side of the fake Discord: one session per websocket, speaking Discord's protocol.
 * HELLO on connect; heartbeats acked; IDENTIFY checked like Discord does (a wrong token closes
 * with 4004, a privileged intent the application has not enabled with 4014), then READY and one
 * GUILD_CREATE per guild. Dispatches carry increasing sequence numbers.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { acceptWebSocket } from './fake-discord-websocket';
import { readyPacket, type DiscordGuildPayload, type DiscordUserPayload } from './discord-packets';

const OP = { dispatch: 0, heartbeat: 1, identify: 2, hello: 10, heartbeatAck: 11 } as const;
const MESSAGE_CONTENT_INTENT = 1 << 15;

export interface GatewayWorld {
  token: string;
  bot: DiscordUserPayload;
  guilds: DiscordGuildPayload[];
  applicationFlags: number;
  /** Refuse the Message Content intent at IDENTIFY (the portal toggle is off). */
  refuseMessageContent: boolean;
}

export interface GatewaySession {
  identified: boolean;
  intents: number | undefined;
  closeCode: number | undefined;
  dispatch(t: string, d: Record<string, unknown>): void;
  /** Ends the session as Discord does, with one of its close codes. */
  close(code: number, reason: string): void;
}

export function openGatewaySession(req: IncomingMessage, socket: Duplex, world: GatewayWorld): GatewaySession {
  let sequence = 0;
  const session: GatewaySession = {
    identified: false,
    intents: undefined,
    closeCode: undefined,
    dispatch: (t, d) => ws.send(JSON.stringify({ op: OP.dispatch, t, s: ++sequence, d })),
    close: (code, reason) => {
      session.closeCode = code;
      ws.close(code, reason);
    },
  };
  const ws = acceptWebSocket(req, socket, {
    onText: (text) => receive(JSON.parse(text) as { op: number; d: unknown }),
    onClose: (code) => { session.closeCode = code; },
  });
  function receive(payload: { op: number; d: unknown }): void {
    if (payload.op === OP.heartbeat) ws.send(JSON.stringify({ op: OP.heartbeatAck, d: null }));
    if (payload.op !== OP.identify) return;
    const identify = payload.d as { token: string; intents: number };
    session.intents = identify.intents;
    if (identify.token !== world.token) return session.close(4004, 'Authentication failed.');
    if (world.refuseMessageContent && (identify.intents & MESSAGE_CONTENT_INTENT) !== 0) return session.close(4014, 'Disallowed intent(s).');
    session.identified = true;
    const ready = readyPacket(world.bot, world.guilds.map((guild) => guild.id), world.applicationFlags);
    session.dispatch(ready.t, ready.d);
    for (const guild of world.guilds) session.dispatch(guild.packet.t, guild.packet.d);
  }

  ws.send(JSON.stringify({ op: OP.hello, s: null, t: null, d: { heartbeat_interval: 41_250 } }));
  return session;
}
