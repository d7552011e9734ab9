/**
 * The gateway's side of channel leases: an account is connected only while this gateway holds its
 * lease in the API, so several gateways (several `sb serve` processes on one database) never run one
 * bot or phone twice. `take` also renews; `release` gives a lease up so another gateway can take
 * the account over at once. The holder id lasts across restarts, so a restarted gateway resumes its own. That another gateway runs an account is logged once, not at every sync.
 */
import { isAppError, type ApiClient } from '@switchboard/shared';

export interface LeasedAccount {
  channel: string;
  accountId: string;
}

export interface GatewayLeases {
  /**
   * Takes or renews the lease: until when (this clock) it is ours, false when another gateway has it,
   * undefined when the API did not answer. `resume`: nothing of the account runs here yet, so what
   * this holder held before (a killed predecessor's lease and claimed replies) is taken back at once.
   */
  take(key: string, account: LeasedAccount, resume?: boolean): Promise<number | false | undefined>;
  release(key: string, account: LeasedAccount): Promise<void>;
}

export function createGatewayLeases(deps: { client: ApiClient; holder: string; leaseMs: number; log: (line: string) => void }): GatewayLeases {
  const { client, holder, leaseMs, log } = deps;
  const heldElsewhere = new Set<string>();
  return {
    async take(key, account, resume = false) {
      const asked = Date.now();
      try {
        const { granted } = await client.channels.takeLease(account.channel, account.accountId, { holder, ttlMs: leaseMs, ...(resume ? { resume } : {}) });
        if (!granted && !heldElsewhere.has(key)) log(`gateway: ${key} is run by another gateway; this one takes over if that one stops`);
        if (granted) heldElsewhere.delete(key);
        else heldElsewhere.add(key);
        return granted ? asked + leaseMs : false;
      } catch (error) {
        log(`gateway: could not renew the lease of ${key}: ${error instanceof Error ? error.message : String(error)}`);
        return undefined;
      }
    },
    async release(key, account) {
      await client.channels.releaseLease(account.channel, account.accountId, holder).catch((error: unknown) => {
        if (!isAppError(error, 'not_found')) log(`gateway: could not give up the lease of ${key}: ${String(error)}`);
      });
    },
  };
}
