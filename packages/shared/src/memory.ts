/** Memories: facts the agent keeps, owned by one contact (or the owner) and optionally shared. */
import { z } from 'zod';
import { ContactId, MemoryId } from './ids';
import { safeText } from './text';

export const Visibility = z.enum(['private', 'shared']);
export type Visibility = z.infer<typeof Visibility>;

export const MemoryContent = z.string().trim().pipe(safeText(8000));

export const Memory = z.object({
  id: MemoryId,
  contactId: ContactId.nullable(),
  authorContactId: ContactId.nullable(),
  visibility: Visibility,
  content: z.string(),
  createdAt: z.coerce.date(),
  updatedAt: z.coerce.date(),
});
export type Memory = z.infer<typeof Memory>;

export const MemoryEventKind = z.enum(['add', 'edit', 'delete']);
export type MemoryEventKind = z.infer<typeof MemoryEventKind>;

export const MemoryEvent = z.object({
  memoryId: MemoryId,
  kind: MemoryEventKind,
  oldContent: z.string().nullable(),
  newContent: z.string().nullable(),
  oldVisibility: Visibility.nullable(),
  newVisibility: Visibility.nullable(),
  createdAt: z.coerce.date(),
});
export type MemoryEvent = z.infer<typeof MemoryEvent>;

/** Which memories an owner listing covers: every memory (default), the owner's own, or one contact's. */
export const MemoryOwnerFilter = z.union([z.literal('owner'), ContactId]);
export type MemoryOwnerFilter = z.infer<typeof MemoryOwnerFilter>;

/** `GET /v1/memories`: every memory of the tenant unless `contact` narrows; `q` searches. */
export const MemoryListQuery = z.strictObject({
  contact: MemoryOwnerFilter.optional(),
  q: z.string().max(1000).optional(),
  limit: z.coerce.number<number>().int().min(1).max(1000).optional(),
  /** Only private memories, or only the owner's shared ones. */
  visibility: Visibility.optional(),
});
export type MemoryListQuery = z.input<typeof MemoryListQuery>;

/** `POST /v1/memories`: `contact` null or absent is the owner's own memory. */
export const MemoryCreate = z.strictObject({
  content: MemoryContent,
  contact: ContactId.nullable().optional(),
  visibility: Visibility.optional(),
});
export type MemoryCreate = z.input<typeof MemoryCreate>;

/** `PATCH /v1/memories/{id}`. */
export const MemoryPatch = z
  .strictObject({ content: MemoryContent.optional(), visibility: Visibility.optional() })
  .refine((body) => body.content !== undefined || body.visibility !== undefined, 'Nothing to change');
export type MemoryPatch = z.input<typeof MemoryPatch>;

export const MemoryIdParams = z.object({ id: MemoryId });
export const MemoryList = z.object({ memories: z.array(Memory) });
export const MemoryReply = z.object({ memory: Memory });
export const MemoryHistory = z.object({ events: z.array(MemoryEvent) });
