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
