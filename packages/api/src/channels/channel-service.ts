/**
 * Channel accounts: the owner adds a bot (its account id is read from the token) or a WhatsApp
 * account bound to an agent; the gateway reads them with their tokens and keeps each channel's
 * session state here, written atomically, so another machine can take over a connection. A lease
 * per account lets only one gateway at a time connect it; the same holder restarted takes it back at once.
 */
import { EventEmitter } from 'node:events';
import { AppError, notFound, TenantId, type ChannelAccount, type ChannelAccountCreate, type ChannelLease, type ChannelLeaseRequest, type ChatChannel, type GatewayAccount } from '@switchboard/shared';
import type { Db, ScopedTx, SqlRunner } from '../db/db';
import { ownerScope, type Scope } from '../db/scope';
import { requireOwner } from '../db/scope-sql';
import * as agentRepo from '../agents/agent-repo';
import * as repo from './channel-repo';

export type ChannelService = ReturnType<typeof createChannelService>;

/** Frees the account's claimed, undelivered replies inside the caller's transaction (the outbox's). */
export type ClaimRelease = (tx: ScopedTx, channel: ChatChannel, accountId: string) => Promise<number>;

export function createChannelService(deps: { db: Db; releaseClaimsIn: ClaimRelease }) {
  const { db, releaseClaimsIn } = deps;
  const changes = new EventEmitter();
  changes.setMaxListeners(0);

  const asGateway = <T>(fn: (tx: SqlRunner) => Promise<T>) =>
    db.unscopedTransaction(async (tx) => {
      await tx.query(`select set_config('app.gateway', 'true', true)`);
      return fn(tx);
    });

  async function requireAccount(tx: ScopedTx, channel: ChatChannel, accountId: string): Promise<void> {
    if (!(await repo.accountExists(tx, channel, accountId))) throw notFound('Channel account', `${channel}:${accountId}`);
  }

  return {
    /** Called after an account is added or removed in this process (a gateway here connects it at once). */
    onChange(listener: () => void): void {
      changes.on('change', listener);
    },

    async list(scope: Scope): Promise<ChannelAccount[]> {
      requireOwner(scope, 'list channel accounts');
      return (await db.transaction(scope, (tx) => repo.listAccounts(tx))).map(repo.withoutToken);
    },

    /** Every account of the scope's tenant with its token (the owner's view of what a gateway connects). */
    forGateway(scope: Scope): Promise<GatewayAccount[]> {
      return db.transaction(scope, (tx) => repo.listAccounts(tx));
    },

    /** Every account of every tenant with its token: for the installation's gateway, which connects them. */
    async forInstallationGateway(): Promise<GatewayAccount[]> {
      const tenants = await asGateway((tx) => repo.listAccountTenants(tx));
      const lists = await Promise.all(tenants.map((id) => db.transaction(ownerScope(TenantId.parse(id)), (tx) => repo.listAccounts(tx))));
      return lists.flat().sort((a, b) => a.channel.localeCompare(b.channel) || a.accountId.localeCompare(b.accountId));
    },

    /** The tenant whose account (channel, id) is: an account is unique on the installation. */
    async tenantOf(channel: string, accountId: string): Promise<TenantId | undefined> {
      const found = await asGateway((tx) => repo.findAccountTenant(tx, channel, accountId));
      return found === undefined ? undefined : TenantId.parse(found);
    },

    async add(scope: Scope, input: ChannelAccountCreate): Promise<ChannelAccount> {
      requireOwner(scope, 'add channel accounts');
      const agentName = input.agent ?? 'default';
      let accountKey = '';
      const account = await db.transaction(scope, async (tx) => {
        accountKey = accountIdOf(input, await tenantSlug(tx));
        const agent = await agentRepo.findAgentByName(tx, agentName);
        if (!agent) throw notFound('Agent', agentName);
        return repo.insertAccount(tx, { channel: input.channel, accountKey, agentId: agent.id, token: input.token ?? null, apiRoot: input.apiRoot ?? null });
      });
      if (!account) throw new AppError('conflict', `Channel account ${input.channel}:${accountKey} already exists on this installation`);
      changes.emit('change');
      return repo.withoutToken(account);
    },

    async remove(scope: Scope, channel: ChatChannel, accountId: string): Promise<void> {
      requireOwner(scope, 'remove channel accounts');
      if (!(await db.transaction(scope, (tx) => repo.deleteAccount(tx, channel, accountId)))) throw notFound('Channel account', `${channel}:${accountId}`);
      changes.emit('change');
    },

    readState(scope: Scope, channel: ChatChannel, accountId: string): Promise<Record<string, unknown>> {
      return db.transaction(scope, async (tx) => {
        await requireAccount(tx, channel, accountId);
        return repo.readState(tx, channel, accountId);
      });
    },

    /** Inside the caller's transaction: whether `holder` holds the account's lease now. */
    holdsLeaseIn(tx: ScopedTx, channel: string, accountId: string, holder: string): Promise<boolean> {
      return repo.holdsLease(tx, channel, accountId, holder);
    },

    /**
     * Takes or renews the account's lease; not granted while another gateway's lease lasts. A
     * holder that resumes after a restart gets its lease at once and its predecessor's claimed
     * replies back (only its own: another holder's lease is waited out).
     */
    takeLease(scope: Scope, channel: ChatChannel, accountId: string, request: ChannelLeaseRequest): Promise<ChannelLease> {
      return db.transaction(scope, async (tx) => {
        await requireAccount(tx, channel, accountId);
        const before = request.resume ? await repo.findLeaseHolder(tx, channel, accountId) : undefined;
        const lease = await repo.takeLease(tx, channel, accountId, request.holder, request.ttlMs);
        if (lease.granted && before === request.holder) await releaseClaimsIn(tx, channel, accountId);
        return lease;
      });
    },

    /** Gives up the holder's lease (a stopping gateway), so another can connect the account at once. */
    releaseLease(scope: Scope, channel: ChatChannel, accountId: string, holder: string): Promise<boolean> {
      return db.transaction(scope, async (tx) => {
        await requireAccount(tx, channel, accountId);
        return repo.releaseLease(tx, channel, accountId, holder);
      });
    },

    /** All the given keys in one transaction: a crash never leaves half the credentials written. */
    writeState(scope: Scope, channel: ChatChannel, accountId: string, entries: Record<string, unknown>): Promise<number> {
      return db.transaction(scope, async (tx) => {
        await requireAccount(tx, channel, accountId);
        return repo.writeState(tx, channel, accountId, entries);
      });
    },
  };
}

/** Telegram tokens start with the bot's id (`123456:ABC…`); a Discord token's first part is the bot's id in base64. */
/** The tenant's own slug (its row is the one tenant a scope can read). */
async function tenantSlug(tx: ScopedTx): Promise<string> {
  const { rows } = await tx.query<{ slug: string }>('select slug from tenants where id = $1', [tx.scope.tenantId]);
  if (!rows[0]) throw new Error(`tenant ${tx.scope.tenantId} is not readable in its own scope`);
  return rows[0].slug;
}

/**
 * A bot's account id is the bot's own; a WhatsApp account is named by the owner, else after the
 * tenant (`default` for the default tenant), so it is unique on the installation.
 */
function accountIdOf(input: ChannelAccountCreate, slug: string): string {
  if (input.channel === 'whatsapp') return input.accountId ?? slug;
  const token = input.token ?? '';
  const derived = input.channel === 'telegram' ? /^(\d{1,20}):[\w-]{10,}$/.exec(token)?.[1] : discordBotId(token);
  if (!derived) throw new AppError('invalid_input', `That is not a ${input.channel} bot token`, { details: [{ path: ['token'], message: 'not a bot token' }] });
  if (input.accountId !== undefined && input.accountId !== derived) {
    throw new AppError('invalid_input', `The token belongs to bot ${derived}, not ${input.accountId}`);
  }
  return derived;
}

function discordBotId(token: string): string | undefined {
  const first = token.split('.')[0] ?? '';
  const id = Buffer.from(first, 'base64').toString('utf8');
  return /^\d{15,22}$/.test(id) ? id : undefined;
}
