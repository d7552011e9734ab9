/**
 * The gateway: one adapter per channel account, all talking to the API over HTTP with the gateway
 * token (in `sb serve` the API is the same process's; `sb gateway` runs against a remote one).
 * Inbound: each mapped message is posted to `/v1/inbound` with the account's agent, and "typing…"
 * shows while the turn runs. Outbound: a loop per account claims due replies (as the holder of its
 * lease), sends them, acks each one, and reports failures (retried with backoff by the API, parked
 * after the last attempt); the outbox is the only way out, pairing codes included. A lost API is
 * retried with backoff and jitter. The account list is read again
 * every few seconds, so `sb channels add|rm` take effect without a restart; `stop` ends everything.
 * An account is connected only while this gateway holds its lease, so several gateways on one API
 * (several `sb serve` processes) never run one bot or phone twice; one that cannot renew drops it.
 * The holder id survives a restart: the restarted gateway resumes its predecessor's leases and claims.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { backOff } from 'exponential-backoff';
import { errorStatus, isAppError, type ApiClient, type GatewayAccount, type InboundMessage, type InboundResult, type OutboxItem } from '@switchboard/shared';
import { PermanentSendError, type ChannelAdapter } from './channels/channel-adapter';
import { createGatewayLeases } from './gateway-leases';
import { createTypingIndicator, type TypingIndicator } from './delivery/typing-indicator';
import { connectDiscord } from './channels/discord/discord-connect';
import { connectTelegram } from './channels/telegram/telegram-connect';
import { connectWhatsapp } from './channels/whatsapp/whatsapp-connect';

/** Builds an account's adapter; `signal` aborts a connection still being made (the gateway stops). */
export type Connect = (account: GatewayAccount, deps: { client: ApiClient; log: (line: string) => void; signal?: AbortSignal }) => Promise<ChannelAdapter>;

export interface GatewayOptions {
  client: ApiClient;
  log: (line: string) => void;
  /** How each channel's adapter is built; the default connects the real SDKs. */
  connect?: Partial<Record<GatewayAccount['channel'], Connect>>;
  /** How long one outbox claim waits for a reply (the long poll). */
  claimWaitMs?: number;
  /** How often the account list is read again: added accounts connect, removed ones disconnect. */
  refreshMs?: number;
  /** How long a sync waits for new accounts to come up before they go on connecting in the background. */
  connectWaitMs?: number;
  /** How long an account's lease lasts unless renewed; it is renewed every third of this at least. */
  leaseMs?: number;
  /** Its id in leases and reply claims: one per installation, the same after a restart (default: a one-off id). */
  holder?: string;
  typing?: { refreshMs?: number; limitMs?: number };
}

export interface RunningGateway {
  /** The connected accounts, `<channel>:<account id>`. */
  readonly accounts: string[];
  /** Reads the account list now and connects or disconnects to match it. */
  sync(): Promise<void>;
  stop(): Promise<void>;
}

interface Connection {
  adapter: ChannelAdapter;
  typing: TypingIndicator;
  abort: AbortController;
  /** Settles when the adapter has started receiving (or failed to). */
  started: Promise<void>;
  /** The delivery loop, once the adapter has started. */
  delivery?: Promise<void>;
  /** What the connection was made from; a change reconnects. */
  fingerprint: string;
  /** Until when (this machine's clock) the account's lease is surely ours. */
  leaseUntil: number;
}

const CLAIM_WAIT_MS = 20_000;
const REFRESH_MS = 10_000;
const CONNECT_WAIT_MS = 10_000;
const LEASE_MS = 30_000;

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const { client, log } = options;
  const leaseMs = options.leaseMs ?? LEASE_MS;
  const holder = options.holder ?? `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  const connections = new Map<string, Connection>();
  const { take: lease, release } = createGatewayLeases({ client, holder, leaseMs, log });
  let stopped = false;
  const stopping = new AbortController(); // aborted by `stop`: a connection still being made gives up
  let syncing: Promise<void> = Promise.resolve();

  /** Builds the adapter and starts it in the background; a failed start is dropped and retried at the next sync. */
  async function open(key: string, account: GatewayAccount, leaseUntil: number): Promise<Connection> {
    const adapter = await (options.connect?.[account.channel] ?? CONNECTORS[account.channel])(account, { client, log, signal: stopping.signal });
    const typing = createTypingIndicator({ send: (chat, thread) => adapter.typing(chat, thread), log, ...options.typing });
    const abort = new AbortController();
    const started = adapter.start((message) => receive(client, typing, account, message, log));
    const connection: Connection = {
      adapter, typing, abort, fingerprint: fingerprintOf(account), leaseUntil,
      started: started.then(
        () => log(`gateway: ${key} connected (agent ${account.agent})`),
        (error: unknown) => {
          log(`gateway: ${key} could not connect: ${error instanceof Error ? error.message : String(error)}`);
          abort.abort();
          // Given up, so a gateway that can connect it need not wait for the lease to run out.
          if (connections.get(key) === connection) void disconnect(key, connection).then(() => release(key, account));
        },
      ),
    };
    void connection.started.then(() => {
      if (!abort.signal.aborted) connection.delivery = deliver(client, adapter, typing, { holder, waitMs: options.claimWaitMs ?? CLAIM_WAIT_MS, signal: abort.signal, log });
    });
    return connection;
  }

  async function disconnect(key: string, connection: Connection): Promise<void> {
    if (connections.get(key) === connection) connections.delete(key);
    connection.abort.abort();
    await connection.adapter.stop().catch((error: unknown) => log(`gateway: stopping ${key} failed: ${String(error)}`));
    // After the adapter stopped: a message still being received could otherwise start typing again.
    connection.typing.stopAll();
    await connection.delivery;
  }

  /** Renews the leases of the connected accounts; one that another gateway took, or that ran out unrenewed, is dropped. */
  async function renewLeases(wanted: Map<string, GatewayAccount>): Promise<void> {
    await Promise.all([...connections].map(async ([key, connection]) => {
      const account = wanted.get(key);
      if (!account) return;
      const until = await lease(key, account);
      if (typeof until === 'number') connection.leaseUntil = until;
      else if (until === false || Date.now() >= connection.leaseUntil) {
        await disconnect(key, connection);
        log(`gateway: ${key} disconnected (${until === false ? 'another gateway runs it now' : 'its lease could not be renewed'})`);
      }
    }));
  }

  /** Without the API, nothing can be renewed: accounts whose lease ran out are dropped all the same. */
  async function dropExpired(): Promise<void> {
    for (const [key, connection] of connections) {
      if (Date.now() < connection.leaseUntil) continue;
      await disconnect(key, connection);
      log(`gateway: ${key} disconnected (its lease could not be renewed)`);
    }
  }

  async function syncOnce(): Promise<void> {
    const accounts = await client.channels.forGateway().catch(async (error: unknown) => {
      await dropExpired();
      throw error;
    });
    const wanted = new Map(accounts.map((account) => [`${account.channel}:${account.accountId}`, account]));
    for (const [key, connection] of connections) {
      const account = wanted.get(key);
      if (!account || fingerprintOf(account) !== connection.fingerprint) {
        await disconnect(key, connection);
        log(`gateway: ${key} disconnected (${account ? 'changed' : 'removed'})`);
      }
    }
    await renewLeases(wanted);
    const opened = await Promise.all([...wanted].filter(([key]) => !connections.has(key)).map(async ([key, account]) => {
      try {
        // Not connected here: a lease this holder still has is a killed predecessor's, resumed at once.
        const leaseUntil = await lease(key, account, true);
        if (typeof leaseUntil !== 'number') return undefined;
        const connection = await open(key, account, leaseUntil);
        if (stopped || connection.abort.signal.aborted) {
          await disconnect(key, connection);
          await release(key, account);
          return undefined;
        }
        connections.set(key, connection);
        return connection.started;
      } catch (error) {
        log(`gateway: ${key} could not connect: ${error instanceof Error ? error.message : String(error)}`);
        await release(key, account);
        return undefined;
      }
    }));
    // Wait a while for the new accounts to come up; a slow one keeps connecting in the background.
    let slow: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(opened), new Promise((resolve) => { slow = setTimeout(resolve, options.connectWaitMs ?? CONNECT_WAIT_MS).unref(); })]);
    clearTimeout(slow);
  }

  // Each sync starts after the one before, whether that one failed or not (a failed one is logged by its caller).
  const sync = () => {
    syncing = syncing.catch(() => undefined).then(() => (stopped ? undefined : syncOnce()));
    return syncing;
  };

  await sync();
  // Often enough to renew every lease well before it runs out, even with a long refresh.
  const timer = setInterval(() => {
    sync().catch((error: unknown) => log(`gateway: reading the channel accounts failed: ${String(error)}`));
  }, Math.min(options.refreshMs ?? REFRESH_MS, leaseMs / 3));
  timer.unref();

  return {
    get accounts() {
      return [...connections.keys()];
    },
    sync,
    async stop() {
      stopped = true;
      stopping.abort();
      clearInterval(timer);
      await syncing.catch(() => undefined);
      // Given up once disconnected, so another gateway can take the accounts over at once.
      await Promise.all([...connections].map(async ([key, connection]) => {
        await disconnect(key, connection);
        await release(key, connection.adapter);
      }));
    },
  };
}

function fingerprintOf(account: GatewayAccount): string {
  return JSON.stringify([account.agent, account.token, account.apiRoot]);
}

async function receive(
  client: ApiClient,
  typing: TypingIndicator,
  account: GatewayAccount,
  message: InboundMessage,
  log: (line: string) => void,
): Promise<void> {
  const chatId = message.chat?.id ?? message.sender?.id ?? '';
  const threadId = message.thread?.id ?? null;
  let accepted: InboundResult;
  try {
    accepted = await client.inbound({ ...message, agent: account.agent, accountId: account.accountId });
  } catch (error) {
    // The API refused this message for good (4xx): retrying cannot help, so it is logged and dropped.
    if (!isAppError(error) || errorStatus[error.code] >= 500) throw error;
    log(`gateway: ${account.channel}:${account.accountId} message ${message.messageId} refused: ${error.message}`);
    return;
  }
  // A pairing code comes through the outbox like every reply: nothing is sent from here.
  if (accepted.status === 'queued') typing.start(chatId, threadId);
}

/** Claims, sends and acks an account's replies until aborted; survives the API going away. */
async function deliver(
  client: ApiClient,
  adapter: ChannelAdapter,
  typing: TypingIndicator,
  options: { holder: string; waitMs: number; signal: AbortSignal; log: (line: string) => void },
): Promise<void> {
  const { holder, signal, log } = options;
  // One listener for the whole loop, not one per claim.
  const aborted = rejectOnAbort(signal);
  aborted.catch(() => undefined);
  while (!signal.aborted) {
    let items: OutboxItem[];
    try {
      const claiming = backOff(
        () => client.outbox.claim({ channel: adapter.channel, account: adapter.accountId, holder, waitMs: options.waitMs }, signal),
        { numOfAttempts: Number.MAX_SAFE_INTEGER, startingDelay: 500, maxDelay: 30_000, jitter: 'full', retry: (error: unknown) => {
          if (signal.aborted) return false;
          log(`gateway: cannot claim replies for ${adapter.channel}:${adapter.accountId}, retrying: ${String(error)}`);
          return true;
        } },
      );
      // A stop must not wait out a backoff delay: the claims end on their own after it (the signal is aborted).
      claiming.catch(() => undefined);
      items = await Promise.race([claiming, aborted]);
    } catch {
      return; // stopped while the API was away
    }
    for (const item of items) {
      if (signal.aborted) return;
      await sendOne(client, adapter, item, holder, log);
      typing.stop(item.chatId, item.threadId);
    }
  }
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

async function sendOne(client: ApiClient, adapter: ChannelAdapter, item: OutboxItem, holder: string, log: (line: string) => void): Promise<void> {
  try {
    await adapter.send(item);
  } catch (error) {
    const permanent = error instanceof PermanentSendError;
    const message = error instanceof Error ? error.message : String(error);
    log(`gateway: sending reply ${item.id} to ${item.channel}:${item.chatId} failed${permanent ? ' for good' : ''}: ${message}`);
    await client.outbox.fail(item.id, { error: message.slice(0, 2000), permanent, holder, channel: item.channel, account: item.accountId }).catch((failure: unknown) => {
      if (!isAppError(failure, 'not_found')) log(`gateway: could not record the failure of ${item.id}: ${String(failure)}`);
    });
    return;
  }
  // Sent: a failed ack leaves the lease to expire and the reply to be sent again (at least once).
  await client.outbox.ack(item.id, { holder, channel: item.channel, account: item.accountId }).catch((error: unknown) => log(`gateway: could not ack reply ${item.id}: ${String(error)}`));
}

/** The real adapters; each loads its SDK only when an account of its channel connects. */
const CONNECTORS: Record<GatewayAccount['channel'], Connect> = {
  telegram: connectTelegram,
  discord: connectDiscord,
  whatsapp: connectWhatsapp,
};
