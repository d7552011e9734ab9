/** SQL for channel accounts and their session state: the owner's (and the gateway's) only. */
import { z } from 'zod';
import { ChatChannel, type AgentId, type ChannelAccount, type GatewayAccount } from '@switchboard/shared';
import type { ScopedTx, SqlRunner } from '../db/db';

const AccountRow = z.object({
  channel: ChatChannel,
  account_key: z.string(),
  agent: z.string(),
  api_root: z.string().nullable(),
  token: z.string().nullable(),
  created_at: z.coerce.date(),
});

const COLUMNS = 'c.channel, c.account_key, a.name as agent, c.api_root, c.token, c.created_at';

function toGatewayAccount(row: unknown): GatewayAccount {
  const r = AccountRow.parse(row);
  return { channel: r.channel, accountId: r.account_key, agent: r.agent, apiRoot: r.api_root, token: r.token, createdAt: r.created_at };
}

export function withoutToken({ token: _token, ...account }: GatewayAccount): ChannelAccount {
  return account;
}

export async function listAccounts(tx: ScopedTx): Promise<GatewayAccount[]> {
  const { rows } = await tx.query(
    `select ${COLUMNS} from channel_accounts c join agents a on a.tenant_id = c.tenant_id and a.id = c.agent_id
     where c.tenant_id = $1 and c.channel in ('telegram', 'discord', 'whatsapp') order by c.channel, c.account_key`,
    [tx.scope.tenantId],
  );
  return rows.map(toGatewayAccount);
}

/** Undefined when the account exists already. */
export async function insertAccount(
  tx: ScopedTx,
  account: { channel: ChatChannel; accountKey: string; agentId: AgentId; token: string | null; apiRoot: string | null },
): Promise<GatewayAccount | undefined> {
  const { rows } = await tx.query(
    `with c as (
       insert into channel_accounts (tenant_id, channel, account_key, agent_id, token, api_root) values ($1, $2, $3, $4, $5, $6)
       on conflict do nothing
       returning *
     )
     select ${COLUMNS} from c join agents a on a.tenant_id = c.tenant_id and a.id = c.agent_id`,
    [tx.scope.tenantId, account.channel, account.accountKey, account.agentId, account.token, account.apiRoot],
  );
  return rows[0] === undefined ? undefined : toGatewayAccount(rows[0]);
}

/**
 * As the gateway (`app.gateway` set: channel accounts of every tenant, nothing else): the tenant
 * of an account, and every tenant that has one.
 */
export async function findAccountTenant(tx: SqlRunner, channel: string, accountKey: string): Promise<string | undefined> {
  const { rows } = await tx.query<{ tenant_id: string }>(
    'select tenant_id from channel_accounts where channel = $1 and account_key = $2', [channel, accountKey]);
  return rows[0]?.tenant_id;
}

export async function listAccountTenants(tx: SqlRunner): Promise<string[]> {
  const { rows } = await tx.query<{ tenant_id: string }>(
    `select distinct tenant_id from channel_accounts where channel in ('telegram', 'discord', 'whatsapp') order by tenant_id`);
  return rows.map((row) => row.tenant_id);
}

/** Removes the account and its session state; false when there was none. */
export async function deleteAccount(tx: ScopedTx, channel: ChatChannel, accountKey: string): Promise<boolean> {
  const { rowCount } = await tx.query(
    'delete from channel_accounts where tenant_id = $1 and channel = $2 and account_key = $3',
    [tx.scope.tenantId, channel, accountKey],
  );
  return rowCount > 0;
}

export async function accountExists(tx: ScopedTx, channel: ChatChannel, accountKey: string): Promise<boolean> {
  const { rows } = await tx.query(
    'select 1 from channel_accounts where tenant_id = $1 and channel = $2 and account_key = $3',
    [tx.scope.tenantId, channel, accountKey],
  );
  return rows.length > 0;
}

/** Whether `holder` holds the account's lease now (not run out). */
export async function holdsLease(tx: ScopedTx, channel: string, accountKey: string, holder: string): Promise<boolean> {
  const { rows } = await tx.query(
    `select 1 from channel_leases
     where tenant_id = $1 and channel = $2 and account_key = $3 and holder = $4 and expires_at > clock_timestamp()`,
    [tx.scope.tenantId, channel, accountKey, holder],
  );
  return rows.length > 0;
}

export async function readState(tx: ScopedTx, channel: ChatChannel, accountKey: string): Promise<Record<string, unknown>> {
  const { rows } = await tx.query<{ key: string; value: unknown }>(
    'select key, value from channel_state where tenant_id = $1 and channel = $2 and account_key = $3',
    [tx.scope.tenantId, channel, accountKey],
  );
  return Object.fromEntries(rows.map((row) => [row.key, row.value]));
}

/** Sets and deletes (null) keys in one statement each, inside the caller's transaction. */
export async function writeState(tx: ScopedTx, channel: ChatChannel, accountKey: string, entries: Record<string, unknown>): Promise<number> {
  const set = Object.entries(entries).filter(([, value]) => value !== null && value !== undefined);
  const removed = Object.entries(entries).filter(([, value]) => value === null || value === undefined).map(([key]) => key);
  const base = [tx.scope.tenantId, channel, accountKey];
  let written = 0;
  if (set.length > 0) {
    const result = await tx.query(
      `insert into channel_state (tenant_id, channel, account_key, key, value)
       select $1, $2, $3, e.key, e.value from jsonb_each($4::jsonb) e
       on conflict (tenant_id, channel, account_key, key) do update set value = excluded.value, updated_at = now()`,
      [...base, JSON.stringify(Object.fromEntries(set))],
    );
    written += result.rowCount;
  }
  if (removed.length > 0) {
    const result = await tx.query(
      'delete from channel_state where tenant_id = $1 and channel = $2 and account_key = $3 and key = any($4)',
      [...base, removed],
    );
    written += result.rowCount;
  }
  return written;
}

/**
 * Takes or renews the account's lease for `holder`: granted when nobody holds it, the holder
 * already does, or the other holder's lease has run out. Either way, the current lease's expiry.
 */
export async function takeLease(
  tx: ScopedTx, channel: ChatChannel, accountKey: string, holder: string, ttlMs: number,
): Promise<{ granted: boolean; expiresAt: Date }> {
  const { rows } = await tx.query(
    `with taken as (
       insert into channel_leases as l (tenant_id, channel, account_key, holder, expires_at)
       values ($1, $2, $3, $4, clock_timestamp() + $5 * interval '1 millisecond')
       on conflict (tenant_id, channel, account_key) do update set holder = excluded.holder, expires_at = excluded.expires_at
         where l.holder = excluded.holder or l.expires_at <= clock_timestamp()
       returning expires_at
     )
     select true as granted, expires_at from taken
     union all
     select false, expires_at from channel_leases where tenant_id = $1 and channel = $2 and account_key = $3 and not exists (select 1 from taken)`,
    [tx.scope.tenantId, channel, accountKey, holder, ttlMs],
  );
  if (rows[0] !== undefined) return LeaseRow.parse(rows[0]);
  // Another gateway's lease was committed after this statement's snapshot: read it now.
  const current = await tx.query(
    'select false as granted, expires_at from channel_leases where tenant_id = $1 and channel = $2 and account_key = $3',
    [tx.scope.tenantId, channel, accountKey],
  );
  return LeaseRow.parse(current.rows[0]);
}

const LeaseRow = z.object({ granted: z.boolean(), expires_at: z.coerce.date() }).transform((r) => ({ granted: r.granted, expiresAt: r.expires_at }));

/** Gives the lease up if `holder` has it; false when it did not. */
export async function releaseLease(tx: ScopedTx, channel: ChatChannel, accountKey: string, holder: string): Promise<boolean> {
  const { rowCount } = await tx.query(
    'delete from channel_leases where tenant_id = $1 and channel = $2 and account_key = $3 and holder = $4',
    [tx.scope.tenantId, channel, accountKey, holder],
  );
  return rowCount > 0;
}


/** Who holds the account's lease (run out or not), locking the row until the transaction ends. */
export async function findLeaseHolder(tx: ScopedTx, channel: ChatChannel, accountKey: string): Promise<string | undefined> {
  const { rows } = await tx.query(
    'select holder from channel_leases where tenant_id = $1 and channel = $2 and account_key = $3 for update',
    [tx.scope.tenantId, channel, accountKey],
  );
  return rows[0] === undefined ? undefined : z.string().parse(rows[0].holder);
}

/** Start-up of the only process (PGlite), as the schema owner: every lease was a dead process's. */
export async function releaseAllLeases(tx: SqlRunner): Promise<number> {
  const { rowCount } = await tx.query('delete from channel_leases');
  return rowCount;
}
