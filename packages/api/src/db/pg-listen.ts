/**
 * LISTEN on PostgreSQL: one connection of its own for every channel this process listens to. A
 * connection that fails is replaced after a pause, and every listener is then called once, since
 * notifications sent while it was down are gone (a wake-up too many costs a look; one too few, a
 * wait for the next poll). Channel names are written into the LISTEN statement, so they are
 * checked to be plain lower-case names.
 */
import { Client } from 'pg';
import { createSilentLog, type Log } from '../ops/ops-log';

const RECONNECT_MS = 1_000;
const CHANNEL = /^[a-z][a-z0-9_]{0,62}$/;

export interface PgListener {
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export function createPgListener(connectionString: string, log: Log = createSilentLog()): PgListener {
  const listeners = new Map<string, Set<() => void>>();
  let client: Client | undefined;
  let connecting: Promise<Client> | undefined;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;

  function notifyAll(channel?: string): void {
    for (const [name, set] of listeners) if (channel === undefined || name === channel) set.forEach((onNotify) => onNotify());
  }

  function connect(): Promise<Client> {
    connecting ??= (async () => {
      const fresh = new Client({ connectionString });
      fresh.on('notification', (message) => notifyAll(message.channel));
      fresh.on('error', (error) => replace(fresh, error));
      fresh.on('end', () => replace(fresh, new Error('the connection ended')));
      await fresh.connect();
      for (const channel of listeners.keys()) await fresh.query(`listen ${channel}`);
      client = fresh;
      return fresh;
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  }

  function replace(failed: Client, error: Error): void {
    if (client !== failed || closed) return;
    client = undefined;
    failed.end().catch(() => undefined);
    log.warn({ err: error }, 'the LISTEN connection failed; reconnecting');
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (retry || closed) return;
    retry = setTimeout(() => {
      retry = undefined;
      connect().then(() => notifyAll(), () => scheduleReconnect());
    }, RECONNECT_MS);
    retry.unref();
  }

  return {
    async listen(channel, onNotify) {
      if (!CHANNEL.test(channel)) throw new Error(`not a channel name: ${channel}`);
      const set = listeners.get(channel) ?? new Set();
      const first = set.size === 0;
      listeners.set(channel, set.add(onNotify));
      const live = client ?? (await connect());
      if (first && live === client) await live.query(`listen ${channel}`);
      return async () => {
        set.delete(onNotify);
        if (set.size > 0) return;
        listeners.delete(channel);
        await client?.query(`unlisten ${channel}`).catch(() => undefined);
      };
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      const current = client ?? (await connecting?.catch(() => undefined));
      client = undefined;
      await current?.end().catch(() => undefined);
    },
  };
}
