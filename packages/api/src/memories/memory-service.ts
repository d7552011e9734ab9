/**
 * Memories: remember, recall, list and edit facts in a scope. The owner writes for itself or for
 * any contact and reads the whole tenant (filters narrow it); a contact (a person or a group)
 * writes only private memories of its own and reads its own plus the shared ones.
 */
import { AppError, findUnstorableText, MemoryContent, notFound, type ContactId, type Memory, type MemoryEvent, type MemoryId, type MemoryOwnerFilter, type Visibility } from '@switchboard/shared';
import type { Db } from '../db/db';
import { scopeContactId, type Scope } from '../db/scope';
import type { ContactEraser } from '../contacts/contact-service';
import * as repo from './memory-repo';

export interface RememberInput {
  content: string;
  /** Owner only: whose memory (default: the owner's own, NULL). */
  contactId?: ContactId | null | undefined;
  /** Owner only: `shared` makes it visible to every contact's turns. */
  visibility?: Visibility | undefined;
  /** The speaker whose turn wrote it, when that is not the scope's contact (a group member). */
  authorContactId?: ContactId | null | undefined;
  /** The inbound event whose turn remembers it: the same content twice in one turn is one memory. */
  sourceEventId?: string | null | undefined;
}

export interface ListInput {
  /** Owner only: one contact's memories, or `owner` for the owner's own. */
  contact?: MemoryOwnerFilter | undefined;
  q?: string | undefined;
  limit?: number | undefined;
  visibility?: Visibility | undefined;
}

export type MemoryService = ReturnType<typeof createMemoryService>;

export function createMemoryService(deps: { db: Db }) {
  const { db } = deps;

  function list(scope: Scope, input: ListInput = {}): Promise<Memory[]> {
    const query = { owner: scope.principal.kind === 'owner' ? input.contact : undefined, limit: input.limit ?? 200, visibility: input.visibility };
    const text = input.q?.trim();
    const unstorable = text === undefined ? undefined : findUnstorableText(text);
    if (unstorable) throw new AppError('invalid_input', `Search text ${unstorable}`);
    return text ? repo.searchMemories(db, scope, text, query) : db.transaction(scope, (tx) => repo.listMemories(tx, query));
  }

  return {
    list,

    async remember(scope: Scope, input: RememberInput): Promise<Memory> {
      const memory = newMemory(scope, { ...input, content: parseContent(input.content) });
      const stored = await db.transaction(scope, (tx) => repo.insertMemory(tx, memory));
      if (!stored) throw notFound('Contact', String(memory.contactId));
      return stored;
    },

    /** Visible memories for a turn: ranked matches for a query, or the most recent without one. */
    recall(scope: Scope, query: string, options: { limit?: number } = {}): Promise<Memory[]> {
      return list(scope, { q: query, limit: options.limit ?? 10 });
    },

    async get(scope: Scope, id: MemoryId): Promise<Memory> {
      const memory = await db.transaction(scope, (tx) => repo.findMemory(tx, id));
      if (!memory) throw notFound('Memory', id);
      return memory;
    },

    async update(scope: Scope, id: MemoryId, change: { content?: string; visibility?: Visibility }): Promise<Memory> {
      if (change.visibility === 'shared' && scope.principal.kind !== 'owner') {
        throw new AppError('forbidden', 'Only the owner can share a memory');
      }
      const content = change.content === undefined ? {} : { content: parseContent(change.content) };
      const memory = await db.transaction(scope, (tx) => repo.updateMemory(tx, id, { ...change, ...content }));
      if (!memory) throw notFound('Memory', id);
      return memory;
    },

    async delete(scope: Scope, id: MemoryId): Promise<Memory> {
      const memory = await db.transaction(scope, (tx) => repo.deleteMemory(tx, id));
      if (!memory) throw notFound('Memory', id);
      return memory;
    },

    async history(scope: Scope, id: MemoryId): Promise<MemoryEvent[]> {
      const events = await db.transaction(scope, (tx) => repo.listMemoryEvents(tx, id));
      if (events.length === 0) throw notFound('Memory', id);
      return events;
    },

    /** Erasure: the contacts' memories, memories their turns wrote, and all of that history. */
    eraseContact: ((tx, contactIds) => repo.eraseMemories(tx, contactIds)) satisfies ContactEraser,
  };
}

/** Every caller's content (an agent's tool call too) is checked here, not only at the HTTP edge. */
function parseContent(content: string): string {
  const parsed = MemoryContent.safeParse(content);
  if (parsed.success) return parsed.data;
  const reason = parsed.error.issues[0]?.message ?? 'is not valid';
  throw new AppError('invalid_input', `A memory must be 1 to 8000 characters of text (${reason})`, { details: parsed.error.issues });
}

function newMemory(scope: Scope, input: RememberInput): repo.NewMemory {
  if (scope.principal.kind === 'owner') {
    return {
      content: input.content,
      contactId: input.contactId ?? null,
      authorContactId: input.authorContactId ?? null,
      visibility: input.visibility ?? 'private',
      sourceEventId: input.sourceEventId ?? null,
    };
  }
  if (input.visibility === 'shared') throw new AppError('forbidden', 'Only the owner can share a memory');
  const own = scopeContactId(scope);
  // A contact's turn writes only its own memory: naming another contact cannot widen the scope.
  if (input.contactId !== undefined && input.contactId !== own) throw notFound('Contact', String(input.contactId));
  return {
    content: input.content,
    contactId: own,
    authorContactId: input.authorContactId ?? own,
    visibility: 'private',
    sourceEventId: input.sourceEventId ?? null,
  };
}
