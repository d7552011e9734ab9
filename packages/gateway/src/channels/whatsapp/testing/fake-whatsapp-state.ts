/**
 * Channel state for tests without the API or baileys: a client whose `readState`/`writeState`
 * keep entries in memory (each value through JSON, as over HTTP; null deletes) and record every
 * write (`pause` holds them, to see how many are in flight), and a codec equal to baileys'
 * `BufferJSON` with a stand-in for the app-state key class.
 */
import type { ApiClient, ChannelStateUpdate } from '@switchboard/shared';
import type { WhatsAppStateCodec } from '../whatsapp-auth-state';

export interface FakeStateClient {
  client: ApiClient;
  /** The stored entries, as the API holds them. */
  readonly entries: Map<string, unknown>;
  /** Every `writeState` call's update, in the order the calls were made. */
  readonly writes: ChannelStateUpdate[];
  /** How many `readState` calls were made. */
  reads(): number;
  /** Holds every write until the returned function is called. */
  pause(): () => void;
}

export function createFakeStateClient(): FakeStateClient {
  const entries = new Map<string, unknown>();
  const writes: ChannelStateUpdate[] = [];
  let reads = 0;
  let held = Promise.resolve();
  const channels = {
    readState: async () => {
      reads++;
      return JSON.parse(JSON.stringify(Object.fromEntries(entries))) as Record<string, unknown>;
    },
    writeState: async (_channel: string, _accountId: string, update: ChannelStateUpdate) => {
      const set = JSON.parse(JSON.stringify(update.set)) as Record<string, unknown>;
      writes.push({ set });
      await held;
      for (const [key, value] of Object.entries(set)) {
        if (value === null) entries.delete(key);
        else entries.set(key, value);
      }
      return { written: Object.keys(set).length };
    },
  };
  return {
    client: { channels } as unknown as ApiClient,
    entries,
    writes,
    reads: () => reads,
    pause: () => {
      let resume = () => {};
      held = new Promise((resolve) => {
        resume = resolve;
      });
      return resume;
    },
  };
}

/** What `fromObject` built, so tests can tell a rebuilt app-state key from a plain object. */
export class FakeAppStateSyncKeyData {
  constructor(readonly fields: Record<string, unknown>) {}
}

/** baileys' `BufferJSON` (lib/Utils/generics.js), restated because baileys cannot load under jest. */
const bufferJson = {
  replacer: (_key: string, value: unknown): unknown => {
    const buffer = value as { type?: unknown; data?: Uint8Array } | null;
    if (value instanceof Uint8Array || buffer?.type === 'Buffer') {
      return { type: 'Buffer', data: Buffer.from(buffer?.data ?? (value as Uint8Array)).toString('base64') };
    }
    return value;
  },
  reviver: (_key: string, value: unknown): unknown => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    const object = value as { type?: unknown; data?: unknown };
    if (object.type === 'Buffer' && typeof object.data === 'string') return Buffer.from(object.data, 'base64');
    const values = Object.values(object);
    const isByteMap = values.length > 0 && Object.keys(object).every((key) => !isNaN(parseInt(key, 10)));
    return isByteMap && values.every((v) => typeof v === 'number') ? Buffer.from(values as number[]) : value;
  },
};

export const FAKE_CODEC = {
  bufferJson,
  appStateSyncKeyData: { fromObject: (fields: Record<string, unknown>) => new FakeAppStateSyncKeyData(fields) },
} as unknown as WhatsAppStateCodec;
