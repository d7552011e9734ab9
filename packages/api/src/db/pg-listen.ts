/**
 * LISTEN on PostgreSQL: one connection of its own for every channel this process listens to. A
 * connection that fails is replaced after a pause, and every listener is then called once, since
 * notifications sent while it was down are gone (a wake-up too many costs a look; one too few, a
 * wait for the next poll). Channel names are written into the LISTEN statement, so they are
 * checked to be plain lower-case names. A notification names the backend that sent it; one sent by
 * a connection of this process is skipped for listeners that signal themselves (`othersOnly`).
 * Behind a pooler the pids differ, and such a listener is only called once too often.
 */
import { Client } from 'pg';
import { createSilentLog, type Log } from '../ops/ops-log';

const RECONNECT_MS = 1_000;
const CHANNEL = /^[a-z][a-z0-9_]{0,62}$/;

export interface PgListener {
  /** `othersOnly`: called only for notifications that no connection of this process sent. */
  listen(channel: string, onNotify: () => void, options?: { othersOnly?: boolean }): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

interface Listening {
  onNotify: () => void;
  othersOnly: boolean;
}

/** `isOwnBackend`: whether a backend process id is one of this process's own connections. */
export function createPgListener(connectionString: string, log: Log = createSilentLog(), isOwnBackend: (pid: number) => boolean = () => false): PgListener {
  const listeners = new Map<string, Set<Listening>>();
  let client: Client | undefined;
  let connecting: Promise<Client> | undefined;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;

  /** Without a channel (after a reconnect, when notifications may have been missed): every listener. */
  function notifyAll(channel?: string, fromPid?: number): void {
    const own = fromPid !== undefined && isOwnBackend(fromPid);
    for (const [name, set] of listeners) {
      if (channel !== undefined && name !== channel) continue;
      for (const listening of set) if (!(own && listening.othersOnly)) listening.onNotify();
    }
  }

  function connect(): Promise<Client> {
    connecting ??= (async () => {
      const fresh = new Client({ connectionString });
      fresh.on('notification', (message) => notifyAll(message.channel, message.processId));
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
    async listen(channel, onNotify, options) {
      if (!CHANNEL.test(channel)) throw new Error(`not a channel name: ${channel}`);
      const set = listeners.get(channel) ?? new Set();
      const first = set.size === 0;
      const listening = { onNotify, othersOnly: options?.othersOnly === true };
      listeners.set(channel, set.add(listening));
      const live = client ?? (await connect());
      if (first && live === client) await live.query(`listen ${channel}`);
      return async () => {
        set.delete(listening);
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
