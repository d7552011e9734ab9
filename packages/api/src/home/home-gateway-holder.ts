/**
 * The gateway's id in channel leases and reply claims, kept in `$SB_HOME/gateway-holder` (0600):
 * made once, the same after every restart, so a process restarted on the same SB_HOME takes back at
 * once what its killed predecessor held. One live process at a time uses it (a lock the kernel frees
 * when its holder dies); a second one on the same SB_HOME gets an id of its own and, like a gateway
 * of another installation, waits until the first one's leases run out.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { acquireDataDirLock, type DataDirLock } from '../db/data-dir-lock';
import { loadOrCreateSecretFile } from './home-secret-file';

export interface GatewayHolder {
  /** The id to name in leases and claims. */
  readonly id: string;
  /** Whether it is this installation's lasting id (false: a one-off id, another process has that one). */
  readonly lasting: boolean;
  release(): void;
}

const GATEWAY_HOLDER_FILE = 'gateway-holder';

export async function claimGatewayHolder(home: string, log: (line: string) => void): Promise<GatewayHolder> {
  const path = join(home, GATEWAY_HOLDER_FILE);
  let lock: DataDirLock | undefined;
  try {
    lock = await acquireDataDirLock(path);
    const held = lock;
    return { id: loadOrCreateSecretFile(path), lasting: true, release: () => held.release() };
  } catch (error) {
    lock?.release();
    log(`switchboard: the gateway runs with a one-off holder id (${error instanceof Error ? error.message : String(error)}): after a restart it waits for its old leases to run out`);
    return { id: `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`, lasting: false, release: () => undefined };
  }
}
