/**
 * A WhatsApp account's baileys auth state, kept by the API (so another machine can take over):
 * the credentials under `creds`, each signal key under `<type>-<id>`. Everything is read once at
 * load and served from memory; every change is written through, one `writeState` call (one
 * database transaction) per `keys.set` or credentials save, in the order they were made.
 * Values are stored in baileys' JSON form (`BufferJSON`), so Buffers survive the round trip.
 */
import type { ApiClient } from '@switchboard/shared';
import type {
  AuthenticationCreds,
  BufferJSON,
  proto,
  SignalDataTypeMap,
  SignalKeyStore,
} from '@whiskeysockets/baileys' with { 'resolution-mode': 'import' };

/** The two baileys values this file needs, passed in so it never loads baileys itself. */
export interface WhatsAppStateCodec {
  bufferJson: typeof BufferJSON;
  /** App-state sync keys must come back as this protobuf class. */
  appStateSyncKeyData: Pick<typeof proto.Message.AppStateSyncKeyData, 'fromObject'>;
}

/** The auth state of one account, as baileys' `auth` option needs it. */
export interface WhatsAppAuthStore {
  /** The credentials stored at load; undefined before the first login. */
  readonly storedCreds: AuthenticationCreds | undefined;
  readonly keys: SignalKeyStore;
  /** Writes the credentials (baileys updates the object in place; call it on `creds.update`). */
  saveCreds(creds: AuthenticationCreds): Promise<void>;
  /** Resolves when every write made so far has been answered. */
  flush(): Promise<void>;
  /** Deletes the credentials and every key, in one write (after WhatsApp logged us out). */
  clear(): Promise<void>;
}

const CREDS = 'creds';

/** Reads an account's stored state from the API. */
export async function loadWhatsAppAuth(client: ApiClient, accountId: string, codec: WhatsAppStateCodec): Promise<WhatsAppAuthStore> {
  const entries = new Map(Object.entries(await client.channels.readState('whatsapp', accountId)));
  const { replacer, reviver } = codec.bufferJson;
  let writes: Promise<unknown> = Promise.resolve();

  const toStored = (value: unknown): unknown => JSON.parse(JSON.stringify(value, replacer));
  const revive = (type: string, stored: unknown) => {
    const value = JSON.parse(JSON.stringify(stored), reviver);
    return type === 'app-state-sync-key' ? codec.appStateSyncKeyData.fromObject(value) : value;
  };

  /** Applies the changes in memory at once, then queues them as one write behind earlier ones. */
  async function write(set: Record<string, unknown>): Promise<void> {
    if (Object.keys(set).length === 0) return;
    for (const [key, value] of Object.entries(set)) {
      if (value === null) entries.delete(key);
      else entries.set(key, value);
    }
    const written = writes.then(() => client.channels.writeState('whatsapp', accountId, { set }));
    // The caller gets the failure; later writes still go out.
    writes = written.catch(() => undefined);
    await written;
  }

  const keys: SignalKeyStore = {
    get: (type, ids) => {
      const found: { [id: string]: SignalDataTypeMap[typeof type] } = {};
      for (const id of ids) {
        const stored = entries.get(`${type}-${id}`);
        if (stored !== undefined) found[id] = revive(type, stored);
      }
      return found;
    },
    set: async (data) => {
      const set: Record<string, unknown> = {};
      for (const [type, values] of Object.entries(data)) {
        for (const [id, value] of Object.entries(values ?? {})) set[`${type}-${id}`] = value ? toStored(value) : null;
      }
      await write(set);
    },
  };

  const stored = entries.get(CREDS);
  return {
    storedCreds: stored === undefined ? undefined : revive(CREDS, stored),
    keys,
    saveCreds: (creds) => write({ [CREDS]: toStored(creds) }),
    flush: () => writes.then(() => undefined),
    clear: () => write(Object.fromEntries([...entries.keys()].map((key) => [key, null]))),
  };
}
