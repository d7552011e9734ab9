/**
 * Ids that last across restarts, each in a file of `$SB_HOME` (0600), made once: the gateway's
 * holder id in channel leases and reply claims (`gateway-holder`) and the turn worker's
 * (`turn-worker-id`), so a process restarted on the same SB_HOME takes back at once what its killed
 * predecessor held. One live process at a time uses each (a lock the kernel frees when its holder
 * dies); a second one on the same SB_HOME gets a one-off id and waits out the first one's leases.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { acquireDataDirLock, type DataDirLock } from '../db/data-dir-lock';
import { loadOrCreateSecretFile } from './home-secret-file';

export interface LastingId {
  /** The id to name in leases and claims. */
  readonly id: string;
  /** Whether it is this installation's lasting id (false: a one-off id, another process has that one). */
  readonly lasting: boolean;
  release(): void;
}

export type LastingIdName = 'gateway-holder' | 'turn-worker-id';

export async function claimLastingId(home: string, name: LastingIdName, log: (line: string) => void): Promise<LastingId> {
  const path = join(home, name);
  let lock: DataDirLock | undefined;
  try {
    lock = await acquireDataDirLock(path);
    const held = lock;
    return { id: loadOrCreateSecretFile(path), lasting: true, release: () => held.release() };
  } catch (error) {
    lock?.release();
    log(`switchboard: running with a one-off ${name} (${error instanceof Error ? error.message : String(error)}): after a restart it waits for its old leases to run out`);
    return { id: `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`, lasting: false, release: () => undefined };
  }
}

/** The gateway's holder id (`sb serve` and `sb gateway`). */
export function claimGatewayHolder(home: string, log: (line: string) => void): Promise<LastingId> {
  return claimLastingId(home, 'gateway-holder', log);
}
