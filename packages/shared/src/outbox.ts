/** Replies waiting for delivery on a channel, and pending pairings for the owner to approve. */
import { z } from 'zod';
import { Channel } from './contact';
import { ContactId } from './ids';

export const OutboxStatus = z.enum(['pending', 'sent', 'failed']);
export type OutboxStatus = z.infer<typeof OutboxStatus>;

export const OutboxItem = z.object({
  id: z.uuid(),
  eventId: z.uuid(),
  contactId: ContactId.nullable(),
  channel: Channel,
  accountId: z.string(),
  chatId: z.string(),
  threadId: z.string().nullable(),
  replyTo: z.string().nullable(),
  text: z.string(),
  status: OutboxStatus,
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  createdAt: z.coerce.date(),
});
export type OutboxItem = z.infer<typeof OutboxItem>;

export const PairingRequest = z.object({
  code: z.string(),
  contactId: ContactId,
  createdAt: z.coerce.date(),
});
export type PairingRequest = z.infer<typeof PairingRequest>;
