/**
 * A linked WhatsApp account over baileys (the only file that value-imports it, lazily). The auth
 * state lives in the API; the same credentials object and key store serve every reconnect, and
 * the session keeps one socket alive. Each new message (`messages.upsert` of type `notify`) is
 * mapped and posted to the API in arrival order, retried while the API is away. `loginWhatsapp`
 * links the account by QR code for `sb channels login whatsapp`.
 */
import { backOff } from 'exponential-backoff';
import type { ApiClient, GatewayAccount, InboundMessage } from '@switchboard/shared';
import type { AuthenticationCreds, WASocket, WAMessage } from '@whiskeysockets/baileys' with { 'resolution-mode': 'import' };
import type { Connect } from '../../gateway';
import type { ChannelAdapter } from '../channel-adapter';
import { loadWhatsAppAuth, type WhatsAppAuthStore } from './whatsapp-auth-state';
import { normalizeJid } from './whatsapp-jid';
import { mapWhatsAppMessage, type WhatsAppAccount } from './whatsapp-mapper';
import { sendWhatsAppReply, sendWhatsAppTyping } from './whatsapp-sender';
import {
  createWhatsAppSession,
  destroyWhatsAppSocket,
  disconnectCodeOf,
  FINAL_CLOSES,
  RESTART_REQUIRED,
  type WhatsAppSession,
  type WhatsAppSessionOptions,
  type WhatsAppSessionSocket,
} from './whatsapp-session';

/** The parts of a baileys socket the adapter uses (a fake in tests). */
export type WhatsAppSocket = WhatsAppSessionSocket & Pick<WASocket, 'user' | 'sendMessage' | 'sendPresenceUpdate'>;

const NOT_LOGGED_IN = 'not logged in: run `sb channels login whatsapp`';
const POST_RETRY = { startingDelay: 1000, maxDelay: 60_000, jitter: 'full' as const, numOfAttempts: 10 };

export const connectWhatsapp: Connect = async (account, { client, log }) => {
  const baileys = await loadBaileys();
  const auth = await loadWhatsAppAuth(client, account.accountId, baileys.codec);
  const creds = auth.storedCreds;
  if (!creds?.me) throw new Error(`WhatsApp account ${account.accountId} is ${NOT_LOGGED_IN}`);
  return createWhatsAppAdapter(account.accountId, {
    createSocket: baileys.socketFactory(creds, auth),
    me: creds.me,
    saveCreds: () => auth.saveCreds(creds),
    flush: () => auth.flush(),
    log,
  });
};

export interface WhatsAppAdapterDeps {
  createSocket: () => WhatsAppSocket;
  /** Our own account as the stored credentials know it, until a socket reports `user`. */
  me: WhatsAppAccount;
  saveCreds: () => Promise<void>;
  /** Waits for the auth state's pending writes. */
  flush: () => Promise<void>;
  log: (line: string) => void;
  reconnect?: WhatsAppSessionOptions<WhatsAppSocket>['reconnect'];
}

/** The adapter around a socket factory; `connectWhatsapp` passes baileys' `makeWASocket`. */
export function createWhatsAppAdapter(accountId: string, deps: WhatsAppAdapterDeps): ChannelAdapter {
  const { log } = deps;
  const label = `whatsapp account ${accountId}`;
  let stopped = false;
  let receiving: Promise<void> = Promise.resolve();
  let session: WhatsAppSession<WhatsAppSocket> | undefined;

  function connected(): WhatsAppSocket {
    const sock = session?.current();
    if (!sock) throw new Error(`WhatsApp account ${accountId} is not connected`);
    return sock;
  }

  async function post(onMessage: (message: InboundMessage) => Promise<void>, message: InboundMessage): Promise<void> {
    await backOff(() => onMessage(message), {
      ...POST_RETRY,
      retry: (error: unknown) => {
        log(`gateway: whatsapp message ${message.messageId} not accepted yet: ${String(error)}`);
        return !stopped;
      },
    }).catch((error: unknown) => log(`gateway: whatsapp message ${message.messageId} was dropped: ${String(error)}`));
  }

  return {
    channel: 'whatsapp',
    accountId,

    async start(onMessage) {
      const receive = (sock: WhatsAppSocket, received: WAMessage) => {
        const message = mapWhatsAppMessage(received, sock.user ?? deps.me);
        if (message) receiving = receiving.then(() => post(onMessage, message));
      };
      session = createWhatsAppSession({
        label, log, ...(deps.reconnect ? { reconnect: deps.reconnect } : {}),
        createSocket: () => {
          const sock = deps.createSocket();
          sock.ev.on('creds.update', () => {
            deps.saveCreds().catch((error: unknown) => log(`gateway: could not save the credentials of ${label}: ${String(error)}`));
          });
          sock.ev.on('messages.upsert', ({ type, messages }) => {
            if (type === 'notify') for (const received of messages) receive(sock, received);
          });
          return sock;
        },
      });
      await session.start();
    },

    send: async (item) => sendWhatsAppReply(connected(), item),
    typing: async (chatId) => sendWhatsAppTyping(connected(), chatId),

    async stop() {
      stopped = true;
      session?.stop();
      await receiving;
      await deps.flush();
    },
  };
}

export interface WhatsAppLoginDeps {
  client: ApiClient;
  log: (line: string) => void;
  onQr: (qr: string) => void;
  /** Forget a linked phone and link again (a new QR code). */
  relink?: boolean;
}

/**
 * Links the account with a QR code and resolves with our JID. An account that is linked already
 * is left alone unless `relink`: a second session would replace the gateway's (close code 440).
 */
export async function loginWhatsapp(
  account: Pick<GatewayAccount, 'accountId'>,
  { client, log, onQr, relink = false }: WhatsAppLoginDeps,
): Promise<{ me: string; alreadyLinked: boolean }> {
  const baileys = await loadBaileys();
  const auth = await loadWhatsAppAuth(client, account.accountId, baileys.codec);
  const linked = normalizeJid(auth.storedCreds?.me?.id);
  if (linked && !relink) return { me: linked, alreadyLinked: true };
  if (relink) await auth.clear();
  const creds = relink ? baileys.initAuthCreds() : (auth.storedCreds ?? baileys.initAuthCreds());
  const { me } = await linkWhatsApp({ createSocket: baileys.socketFactory(creds, auth), saveCreds: () => auth.saveCreds(creds), auth, log, onQr });
  return { me, alreadyLinked: false };
}

export interface WhatsAppLinkDeps {
  createSocket: () => WhatsAppSocket;
  saveCreds: () => Promise<void>;
  auth: Pick<WhatsAppAuthStore, 'flush' | 'clear'>;
  log: (line: string) => void;
  onQr: (qr: string) => void;
}

/** The login flow around a socket factory: one restart (515) allowed, as pairing requires. */
export async function linkWhatsApp(deps: WhatsAppLinkDeps): Promise<{ me: string }> {
  for (let restarts = 0; ; restarts++) {
    const sock = deps.createSocket();
    const code = await new Promise<number | undefined>((closed) => {
      sock.ev.on('creds.update', () => {
        deps.saveCreds().catch((error: unknown) => deps.log(`gateway: could not save the WhatsApp credentials: ${String(error)}`));
      });
      sock.ev.on('connection.update', (update) => {
        if (update.qr) deps.onQr(update.qr);
        if (update.connection === 'open') closed(undefined);
        if (update.connection === 'close') closed(disconnectCodeOf(update) ?? 0);
      });
    });
    const me = normalizeJid(sock.user?.id);
    destroyWhatsAppSocket(sock, deps.log);
    await deps.auth.flush();
    if (code === undefined && me !== undefined) return { me };
    if (code === RESTART_REQUIRED && restarts === 0) continue;
    if (code === 401) await deps.auth.clear();
    throw new Error(`WhatsApp login failed: ${loginFailure(code)}`);
  }
}

function loginFailure(code: number | undefined): string {
  if (code === undefined) return 'the connection opened without our account';
  if (code === 401) return 'logged out; the stored session was removed, run `sb channels login whatsapp` again';
  if (code === 408) return 'no QR code was scanned in time; run `sb channels login whatsapp` again';
  return FINAL_CLOSES[code] ?? `WhatsApp closed the connection (${code})`;
}

/** A pino-compatible logger that drops everything (baileys logs a great deal). */
const SILENT_LOGGER = {
  level: 'silent',
  child: () => SILENT_LOGGER,
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  fatal: () => {},
};

/** baileys, loaded on first use (it is ESM-only), with what the auth state and sockets need. */
async function loadBaileys() {
  const { BufferJSON, initAuthCreds, makeCacheableSignalKeyStore, makeWASocket, proto } = await import('@whiskeysockets/baileys');
  return {
    codec: { bufferJson: BufferJSON, appStateSyncKeyData: proto.Message.AppStateSyncKeyData },
    initAuthCreds,
    /** Sockets sharing one credentials object (baileys updates it) and one cached key store. */
    socketFactory(creds: AuthenticationCreds, auth: WhatsAppAuthStore): () => WhatsAppSocket {
      const keys = makeCacheableSignalKeyStore(auth.keys, SILENT_LOGGER);
      return () => makeWASocket({ auth: { creds, keys }, printQRInTerminal: false, logger: SILENT_LOGGER, markOnlineOnConnect: false });
    },
  };
}
