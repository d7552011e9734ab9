/**
 * Keeps one WhatsApp socket alive: when it closes, it is destroyed (our listeners removed, `end`
 * called) before another is made, so exactly one socket lives at a time. 440 (another session
 * replaced this one) and 401 (logged out) are final; 515 (restart required, after pairing)
 * reconnects at once; anything else reconnects after an exponential delay with full jitter.
 * `stop` destroys the socket and cancels a pending reconnect.
 */
import type { BaileysEventEmitter, ConnectionState } from '@whiskeysockets/baileys' with { 'resolution-mode': 'import' };

/** What the session needs of a baileys socket (a fake in tests). */
export interface WhatsAppSessionSocket {
  readonly ev: Pick<BaileysEventEmitter, 'on' | 'removeAllListeners'>;
  end(error: Error | undefined): Promise<void>;
}

/** The socket events the gateway listens to; a destroyed socket keeps no listener on them. */
export const WHATSAPP_SOCKET_EVENTS = ['connection.update', 'creds.update', 'messages.upsert'] as const;

export const RESTART_REQUIRED = 515;

/** Closes after which reconnecting cannot help, with what to tell the operator. */
export const FINAL_CLOSES: Readonly<Record<number, string>> = {
  440: 'another WhatsApp Web session replaced this one; stop the other one and restart',
  401: 'logged out: run `sb channels login whatsapp`',
};

export interface WhatsAppSessionOptions<S extends WhatsAppSessionSocket> {
  /** Builds a socket with its other listeners; the session adds `connection.update`. */
  createSocket: () => S;
  /** Names the account in log lines, e.g. `whatsapp account default`. */
  label: string;
  log: (line: string) => void;
  reconnect?: { startingDelay: number; maxDelay: number; random: () => number };
}

export interface WhatsAppSession<S> {
  /** Connects; resolves once the first socket opened, or the session ended for good. */
  start(): Promise<void>;
  /** The live socket, or undefined while reconnecting and after the end. */
  current(): S | undefined;
  stop(): void;
}

const RECONNECT = { startingDelay: 1000, maxDelay: 60_000, random: Math.random };

export function createWhatsAppSession<S extends WhatsAppSessionSocket>(options: WhatsAppSessionOptions<S>): WhatsAppSession<S> {
  const { label, log } = options;
  const reconnect = options.reconnect ?? RECONNECT;
  let live: S | undefined;
  let pending: NodeJS.Timeout | undefined;
  let attempt = 0;
  let started = () => {};

  function connect(): void {
    const sock = options.createSocket();
    live = sock;
    sock.ev.on('connection.update', (update) => onUpdate(sock, update));
  }

  function onUpdate(sock: S, update: Partial<ConnectionState>): void {
    if (update.connection === 'open') {
      attempt = 0;
      started();
    }
    if (update.connection !== 'close') return;
    destroyWhatsAppSocket(sock, log);
    live = undefined;
    const code = disconnectCodeOf(update);
    const closed = `gateway: ${label} closed (${code ?? 'no code'}: ${update.lastDisconnect?.error?.message ?? 'no reason'})`;
    const final = code === undefined ? undefined : FINAL_CLOSES[code];
    if (final !== undefined) {
      log(`${closed} and stays offline: ${final}`);
      started();
      return;
    }
    if (code === RESTART_REQUIRED) return connect();
    const delay = Math.round(Math.min(reconnect.maxDelay, reconnect.startingDelay * 2 ** attempt++) * reconnect.random());
    log(`${closed}; reconnecting in ${delay} ms`);
    pending = setTimeout(connect, delay);
  }

  return {
    start: () => new Promise<void>((resolve) => {
      started = resolve;
      connect();
    }),
    current: () => live,
    stop() {
      clearTimeout(pending);
      if (live) destroyWhatsAppSocket(live, log);
      live = undefined;
      started();
    },
  };
}

/** Removes our listeners first (so the close that `end` emits reaches nobody), then ends it. */
export function destroyWhatsAppSocket(sock: WhatsAppSessionSocket, log: (line: string) => void): void {
  for (const event of WHATSAPP_SOCKET_EVENTS) sock.ev.removeAllListeners(event);
  sock.end(undefined).catch((error: unknown) => log(`gateway: whatsapp socket did not end cleanly: ${String(error)}`));
}

/** The Boom status code of a close (`lastDisconnect.error.output.statusCode`). */
export function disconnectCodeOf(update: Partial<ConnectionState>): number | undefined {
  const error = update.lastDisconnect?.error;
  return error !== undefined && 'output' in error ? error.output.statusCode : undefined;
}
