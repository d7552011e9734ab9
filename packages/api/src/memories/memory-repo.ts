/**
 * SQL for memories and their append-only history. Every write and its history event are one
 * statement. Reads: the owner reaches the whole tenant; a contact its own memories plus the shared
 * ones; writes by a contact touch only its own. The scope is part of every WHERE, never a filter after.
 */
import { z } from 'zod';
import { ContactId, MemoryEventKind, MemoryId, Visibility, type Memory, type MemoryEvent, type MemoryOwnerFilter } from '@switchboard/shared';
import type { Db, ScopedTx } from '../db/db';
import type { Scope } from '../db/scope';
import { SqlParams, reachableRowsSql } from '../db/scope-sql';

const MEMORY_COLUMNS = 'm.id, m.contact_id, m.author_contact_id, m.visibility, m.content, m.created_at, m.updated_at';

export const MemoryRow = z
  .object({
    id: MemoryId,
    contact_id: ContactId.nullable(),
    author_contact_id: ContactId.nullable(),
    visibility: Visibility,
    content: z.string(),
    created_at: z.coerce.date(),
    updated_at: z.coerce.date(),
  })
  .transform(
    (row): Memory => ({
      id: row.id,
      contactId: row.contact_id,
      authorContactId: row.author_contact_id,
      visibility: row.visibility,
      content: row.content,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }),
  );

const MemoryEventRow = z
  .object({
    memory_id: MemoryId,
    kind: MemoryEventKind,
    old_content: z.string().nullable(),
    new_content: z.string().nullable(),
    old_visibility: Visibility.nullable(),
    new_visibility: Visibility.nullable(),
    created_at: z.coerce.date(),
  })
  .transform(
    (row): MemoryEvent => ({
      memoryId: row.memory_id,
      kind: row.kind,
      oldContent: row.old_content,
      newContent: row.new_content,
      oldVisibility: row.old_visibility,
      newVisibility: row.new_visibility,
      createdAt: row.created_at,
    }),
  );

const parseMemory = (row: unknown): Memory => MemoryRow.parse(row);

/** Rows this scope may read: the whole tenant for the owner, own + shared for a contact. */
function visibleSql(scope: Scope, params: SqlParams): string {
  const tenant = `m.tenant_id = ${params.add(scope.tenantId)}`;
  if (scope.principal.kind === 'owner') return tenant;
  return `${tenant} and (m.contact_id = ${params.add(scope.principal.contactId)} or m.visibility = 'shared')`;
}

export interface NewMemory {
  contactId: ContactId | null;
  authorContactId: ContactId | null;
  visibility: Visibility;
  content: string;
  /** The inbound event whose turn remembered it; a turn remembers the same content once. */
  sourceEventId: string | null;
}

const EVENT_INSERT = `insert into memory_events (tenant_id, memory_id, contact_id, author_contact_id, kind,
  old_content, new_content, old_visibility, new_visibility)`;

/**
 * Inserts the memory and its `add` event; undefined when its contact does not exist (in scope).
 * The same content remembered again under the same source event is the memory stored the first time.
 */
export async function insertMemory(tx: ScopedTx, memory: NewMemory): Promise<Memory | undefined> {
  const { rows } = await tx.query(
    `with m as (
       insert into memories (tenant_id, contact_id, author_contact_id, visibility, content, source_event_id)
       select $1, $2::uuid, $3, $4, $5, $6
       where $2::uuid is null or exists (select 1 from contacts c where c.tenant_id = $1 and c.id = $2::uuid)
       on conflict (tenant_id, source_event_id, contact_id, md5(content)) where source_event_id is not null do nothing
       returning *
     ), e as (
       ${EVENT_INSERT}
       select tenant_id, id, contact_id, author_contact_id, 'add', null, content, null, visibility from m
     )
     select ${MEMORY_COLUMNS} from m`,
    [tx.scope.tenantId, memory.contactId, memory.authorContactId, memory.visibility, memory.content, memory.sourceEventId],
  );
  if (rows[0] !== undefined) return parseMemory(rows[0]);
  return memory.sourceEventId === null ? undefined : findRemembered(tx, memory);
}

/** The memory a turn already remembered with this content, if the scope can still see it. */
async function findRemembered(tx: ScopedTx, memory: NewMemory): Promise<Memory | undefined> {
  const params = new SqlParams();
  const where = visibleSql(tx.scope, params);
  const { rows } = await tx.query(
    `select ${MEMORY_COLUMNS} from memories m
     where ${where} and m.source_event_id = ${params.add(memory.sourceEventId)}
       and m.contact_id is not distinct from ${params.add(memory.contactId)}::uuid and md5(m.content) = md5(${params.add(memory.content)})`,
    params.values,
  );
  return rows[0] === undefined ? undefined : parseMemory(rows[0]);
}

export interface MemoryQuery {
  owner?: MemoryOwnerFilter | undefined;
  limit: number;
  visibility?: Visibility | undefined;
}

/** Ranked search ranks this many before a visibility filter narrows them to the limit. */
const FILTERED_SEARCH_DEPTH = 1000;

/** Visible memories, most recently updated first. */
export async function listMemories(tx: ScopedTx, query: MemoryQuery): Promise<Memory[]> {
  const params = new SqlParams();
  const visibility = query.visibility === undefined ? '' : ` and m.visibility = ${params.add(query.visibility)}`;
  const where = `${visibleSql(tx.scope, params)}${ownerFilterSql(query.owner, params)}${visibility}`;
  const { rows } = await tx.query(
    `select ${MEMORY_COLUMNS} from memories m where ${where}
     order by m.updated_at desc, m.id limit ${params.add(query.limit)}`,
    params.values,
  );
  return rows.map(parseMemory);
}

/**
 * Visible memories with a word of the query, or that word with one more letter, best first
 * (app.search_memories, as a turn's context recall), in one statement in the scope.
 */
export async function searchMemories(db: Db, scope: Scope, text: string, query: MemoryQuery): Promise<Memory[]> {
  const owner = query.owner;
  const filtered = query.visibility !== undefined;
  const { rows } = await db.call(
    scope,
    `select ${MEMORY_COLUMNS} from app.search_memories_in($1, $2, $3, $4::text, $5::int, $6::boolean, $7::uuid) m
     where $8::text is null or m.visibility = $8
     order by m.score desc, m.updated_at desc, m.id limit $9`,
    [text, filtered ? Math.max(query.limit, FILTERED_SEARCH_DEPTH) : query.limit, owner === 'owner',
      owner === undefined || owner === 'owner' ? null : owner, query.visibility ?? null, query.limit],
  );
  return rows.map(parseMemory);
}

export async function findMemory(tx: ScopedTx, id: MemoryId): Promise<Memory | undefined> {
  const params = new SqlParams();
  const where = visibleSql(tx.scope, params);
  const { rows } = await tx.query(`select ${MEMORY_COLUMNS} from memories m where ${where} and m.id = ${params.add(id)}`, params.values);
  return rows[0] === undefined ? undefined : parseMemory(rows[0]);
}

export async function updateMemory(
  tx: ScopedTx,
  id: MemoryId,
  change: { content?: string | undefined; visibility?: Visibility | undefined },
): Promise<Memory | undefined> {
  const params = new SqlParams();
  const where = reachableRowsSql(tx.scope, params, 'm');
  const content = params.add(change.content ?? null);
  // Edited content is no longer what the turn remembered: it leaves the once-per-turn key.
  const { rows } = await tx.query(
    `with old as (
       select m.id, m.content, m.visibility from memories m where ${where} and m.id = ${params.add(id)} for update
     ), m as (
       update memories set content = coalesce(${content}::text, content),
         source_event_id = case when coalesce(${content}::text, content) = content then source_event_id end,
         visibility = coalesce(${params.add(change.visibility ?? null)}, visibility), updated_at = now()
       where id = (select id from old) returning *
     ), e as (
       ${EVENT_INSERT}
       select m.tenant_id, m.id, m.contact_id, m.author_contact_id, 'edit', old.content, m.content, old.visibility, m.visibility
       from m join old on old.id = m.id
     )
     select ${MEMORY_COLUMNS} from m`,
    params.values,
  );
  return rows[0] === undefined ? undefined : parseMemory(rows[0]);
}

export async function deleteMemory(tx: ScopedTx, id: MemoryId): Promise<Memory | undefined> {
  const params = new SqlParams();
  const where = reachableRowsSql(tx.scope, params, 'm');
  const { rows } = await tx.query(
    `with m as (
       delete from memories m where ${where} and m.id = ${params.add(id)} returning *
     ), e as (
       ${EVENT_INSERT}
       select tenant_id, id, contact_id, author_contact_id, 'delete', content, null, visibility, null from m
     )
     select ${MEMORY_COLUMNS} from m`,
    params.values,
  );
  return rows[0] === undefined ? undefined : parseMemory(rows[0]);
}

/** The memory's events, oldest first; the owner's view covers every memory of the tenant. */
export async function listMemoryEvents(tx: ScopedTx, id: MemoryId): Promise<MemoryEvent[]> {
  const params = new SqlParams();
  const where = reachableRowsSql(tx.scope, params, 'e');
  const { rows } = await tx.query(
    `select e.memory_id, e.kind, e.old_content, e.new_content, e.old_visibility, e.new_visibility, e.created_at
     from memory_events e where ${where} and e.memory_id = ${params.add(id)} order by e.id`,
    params.values,
  );
  return rows.map((row) => MemoryEventRow.parse(row));
}

/** Deletes the contacts' memories and the ones their turns wrote elsewhere, with all history. */
export async function eraseMemories(tx: ScopedTx, contactIds: ContactId[]): Promise<{ memories: number; memoryEvents: number }> {
  const args = [tx.scope.tenantId, contactIds];
  // Also what a turn remembered from a message the contact sent while merged into another contact.
  const erased = `m.tenant_id = $1 and (m.contact_id = any($2) or m.author_contact_id = any($2) or m.source_event_id in (
    select e.id from inbound_events e where e.tenant_id = $1 and e.origin_contact_id = any($2)))`;
  const events = await tx.query(
    `delete from memory_events where tenant_id = $1 and (contact_id = any($2) or author_contact_id = any($2)
       or memory_id in (select m.id from memories m where ${erased}))`,
    args,
  );
  const memories = await tx.query(`delete from memories m where ${erased}`, args);
  return { memories: memories.rowCount, memoryEvents: events.rowCount };
}

function ownerFilterSql(owner: MemoryOwnerFilter | undefined, params: SqlParams): string {
  if (owner === undefined) return '';
  if (owner === 'owner') return ' and m.contact_id is null';
  return ` and m.contact_id = ${params.add(owner)}`;
}
