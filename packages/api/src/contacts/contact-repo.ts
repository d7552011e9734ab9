/**
 * SQL for contacts, identities and group membership. Resolving is one INSERT ... ON CONFLICT on
 * the identity (the unique key), which creates the contact in the same statement, so concurrent
 * first messages from one sender end with exactly one contact and one identity. That statement and
 * the new-contact bucket live in SQL functions (migration accept_call), which the accept calls too.
 */
import { z } from 'zod';
import { AppError, Channel, ContactAccess, ContactId, ContactKind, type Contact, type NamedIdentity, type RateLimit } from '@switchboard/shared';
import type { ScopedTx } from '../db/db';
import { SqlParams } from '../db/scope-sql';

export interface ResolvedIdentity {
  /** The contact the identity speaks as: its own, or the one its own is merged into. */
  contactId: ContactId;
  /** The identity's own contact, before following a merge (what it says is erased with this one too). */
  ownContactId: ContactId;
  created: boolean;
  access: ContactAccess;
}

const ResolvedRow = z.object({ contact_id: ContactId, own_contact_id: ContactId, created: z.boolean(), access: ContactAccess, kind: ContactKind });

const ContactRow = z
  .object({
    id: ContactId,
    kind: ContactKind,
    display_name: z.string().nullable(),
    merged_into: ContactId.nullable(),
    access: ContactAccess,
    created_at: z.coerce.date(),
    identities: z.array(z.object({ channel: Channel, externalId: z.string() })).nullable(),
  })
  .transform((row): Contact => ({
    id: row.id,
    kind: row.kind,
    displayName: row.display_name,
    mergedInto: row.merged_into,
    access: row.access,
    createdAt: row.created_at,
    identities: row.identities ?? [],
  }));

/** One upsert on the identity, which creates the contact in the same statement (app.resolve_identity, shared with the accept). */
const RESOLVE_SQL = `select contact_id, own_contact_id, created, access, kind
  from app.resolve_identity($1::text, $2::text, $3::text, $4::text)`;

export async function resolveIdentity(
  tx: ScopedTx,
  identity: NamedIdentity & { kind: ContactKind },
): Promise<ResolvedIdentity> {
  const { rows } = await tx.query(RESOLVE_SQL, [identity.channel, identity.externalId, identity.kind, identity.displayName ?? null]);
  const row = ResolvedRow.parse(rows[0]);
  // A group id never speaks as a person, nor the reverse; the throw rolls back what this resolve wrote.
  if (row.kind !== identity.kind) {
    throw new AppError('conflict', `${identity.channel}:${identity.externalId} is a ${row.kind}, not a ${identity.kind}`);
  }
  return { contactId: row.contact_id, ownContactId: row.own_contact_id, created: row.created, access: row.access };
}

/**
 * Takes `count` tokens from the tenant's new-contact bucket (refilled by the time since its last
 * take); false when it has fewer, and then it is left untouched. The row stays locked until the
 * transaction ends, so concurrent first messages are counted one after another (app.take_new_contact_tokens,
 * shared with the accept).
 */
export async function takeNewContactTokens(tx: ScopedTx, count: number, limit: RateLimit): Promise<boolean> {
  const { rows } = await tx.query<{ taken: boolean }>(
    'select app.take_new_contact_tokens($1::integer, $2::float8, $3::float8) as taken', [count, limit.burst, limit.perMinute],
  );
  return rows[0]?.taken === true;
}

export async function linkGroupMember(tx: ScopedTx, groupId: ContactId, memberId: ContactId): Promise<void> {
  await tx.query(
    `insert into group_members (tenant_id, group_contact_id, member_contact_id) values ($1, $2, $3)
     on conflict do nothing`,
    [tx.scope.tenantId, groupId, memberId],
  );
}

const SELECT_CONTACTS = `
select c.id, c.kind, c.display_name, c.merged_into, c.access, c.created_at,
  (select json_agg(json_build_object('channel', i.channel, 'externalId', i.external_id) order by i.created_at)
     from contact_identities i where i.tenant_id = c.tenant_id and i.contact_id = c.id) as identities
from contacts c`;

export async function listContacts(tx: ScopedTx, limit: number): Promise<Contact[]> {
  const params = new SqlParams();
  const where = contactScopeSql(tx, params);
  const { rows } = await tx.query(
    `${SELECT_CONTACTS} where ${where} order by c.created_at, c.id limit ${params.add(limit)}`,
    params.values,
  );
  return rows.map((row) => ContactRow.parse(row));
}

export async function findContact(tx: ScopedTx, id: ContactId): Promise<Contact | undefined> {
  const params = new SqlParams();
  const where = contactScopeSql(tx, params);
  const { rows } = await tx.query(`${SELECT_CONTACTS} where ${where} and c.id = ${params.add(id)}`, params.values);
  return rows[0] === undefined ? undefined : ContactRow.parse(rows[0]);
}

export async function updateContactAccess(tx: ScopedTx, id: ContactId, access: ContactAccess): Promise<boolean> {
  const { rowCount } = await tx.query(
    `update contacts set access = $3, updated_at = now() where tenant_id = $1 and id = $2`,
    [tx.scope.tenantId, id, access],
  );
  return rowCount > 0;
}

interface MergeCandidate {
  id: ContactId;
  kind: ContactKind;
  mergedInto: ContactId | null;
}

/**
 * Merges and unmerges of a tenant run one at a time (until the transaction ends): two at once could
 * otherwise cross into a cycle or a chain, or deadlock on each other's rows. They are rare.
 */
export async function serializeMerges(tx: ScopedTx): Promise<void> {
  await tx.query(`select pg_advisory_xact_lock(${MERGE_LOCK_SPACE}, hashtext($1::text))`, [tx.scope.tenantId]);
}

/** The first key of the merge lock: 'SBcm' (Switchboard contact merges). */
const MERGE_LOCK_SPACE = 0x5342636d;

/** The contacts, locked until the transaction ends (an erasure waits for the merge, and the reverse). */
export async function lockContacts(tx: ScopedTx, ids: ContactId[]): Promise<MergeCandidate[]> {
  const { rows } = await tx.query(
    `select id, kind, merged_into from contacts where tenant_id = $1 and id = any($2) order by id for update`,
    [tx.scope.tenantId, ids],
  );
  return rows.map((row) => ({ id: ContactId.parse(row.id), kind: ContactKind.parse(row.kind), mergedInto: ContactId.nullable().parse(row.merged_into) }));
}

/** Points the contact, and every contact merged into it, at `root`: chains stay one hop long. */
export async function setMergedInto(tx: ScopedTx, id: ContactId, root: ContactId): Promise<void> {
  await tx.query(
    `update contacts set merged_into = $3, updated_at = now() where tenant_id = $1 and (id = $2 or merged_into = $2)`,
    [tx.scope.tenantId, id, root],
  );
}

/** The contact and every contact merged into it: erasing a person erases all of them. */
export async function findMergedFamily(tx: ScopedTx, id: ContactId): Promise<ContactId[]> {
  const { rows } = await tx.query(
    `select id from contacts where tenant_id = $1 and (id = $2 or merged_into = $2)`,
    [tx.scope.tenantId, id],
  );
  return rows.map((row) => ContactId.parse(row.id));
}

/** Undoes a merge: the contact's own identities resolve to it again. */
export async function clearMergedInto(tx: ScopedTx, id: ContactId): Promise<void> {
  await tx.query(`update contacts set merged_into = null, updated_at = now() where tenant_id = $1 and id = $2`, [tx.scope.tenantId, id]);
}

export async function eraseContacts(tx: ScopedTx, ids: ContactId[]): Promise<Record<string, number>> {
  const tenant = tx.scope.tenantId;
  const members = await tx.query(
    `delete from group_members where tenant_id = $1 and (group_contact_id = any($2) or member_contact_id = any($2))`,
    [tenant, ids],
  );
  const identities = await tx.query(`delete from contact_identities where tenant_id = $1 and contact_id = any($2)`, [tenant, ids]);
  await tx.query(`update contacts set merged_into = null where tenant_id = $1 and merged_into = any($2)`, [tenant, ids]);
  const contacts = await tx.query(`delete from contacts where tenant_id = $1 and id = any($2)`, [tenant, ids]);
  return { contacts: contacts.rowCount, identities: identities.rowCount, groupMembers: members.rowCount };
}

function contactScopeSql(tx: ScopedTx, params: SqlParams): string {
  const tenant = `c.tenant_id = ${params.add(tx.scope.tenantId)}`;
  if (tx.scope.principal.kind === 'owner') return tenant;
  return `${tenant} and c.id = ${params.add(tx.scope.principal.contactId)}`;
}
