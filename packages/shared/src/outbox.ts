/** Replies waiting for delivery on a channel, and pending pairings for the owner to approve. */
import { z } from 'zod';
import { LeaseHolder } from './channel';
import { Channel, ExternalId } from './contact';
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

/**
 * `POST /v1/outbox/claim`: the due replies of one account, leased to the caller; waits up to `waitMs`
 * for one. With the gateway token, `holder` must hold the account's channel lease.
 */
export const OutboxClaim = z.strictObject({
  channel: Channel,
  account: z.string().min(1).max(128),
  holder: LeaseHolder.optional(),
  limit: z.number().int().min(1).max(100).default(20),
  waitMs: z.number().int().min(0).max(30_000).default(0),
  leaseMs: z.number().int().min(1000).max(600_000).default(60_000),
});
export type OutboxClaim = z.input<typeof OutboxClaim>;

/** `POST /v1/outbox/:id/fail`: a send failed; retried later, or parked as failed after the last attempt. */
export const OutboxFailure = z.strictObject({
  error: z.string().min(1).max(2000),
  /** The platform refused for good (chat gone, bot blocked): park it now. */
  permanent: z.boolean().optional(),
  /** The gateway token: the lease holder of the item's account. */
  holder: LeaseHolder.optional(),
  /** The gateway token: the item's account, whose tenant the item is in. */
  channel: Channel.optional(),
  account: z.string().min(1).max(128).optional(),
});
export type OutboxFailure = z.infer<typeof OutboxFailure>;

/**
 * `POST /v1/outbox/:id/ack`: the gateway token names the lease holder of the item's account, and
 * the account (`channel`, `account`), whose tenant the item is in.
 */
export const OutboxAck = z.strictObject({ holder: LeaseHolder.optional(), channel: Channel.optional(), account: z.string().min(1).max(128).optional() });
export type OutboxAck = z.infer<typeof OutboxAck>;

/** `GET /v1/outbox`: the owner reads every row; the gateway token those of accounts `holder` leases. */
export const OutboxListQuery = z.strictObject({
  channel: Channel.optional(),
  account: ExternalId.optional(),
  status: OutboxStatus.default('pending'),
  limit: z.coerce.number<number>().int().min(1).max(1000).default(100),
  holder: LeaseHolder.optional(),
});
export type OutboxListQuery = z.input<typeof OutboxListQuery>;

export const OutboxItemIdParams = z.object({ id: z.uuid() });
export const OutboxItemList = z.object({ items: z.array(OutboxItem) });
export const OutboxItemReply = z.object({ item: OutboxItem });

export const PairingList = z.object({ requests: z.array(PairingRequest) });
/** `POST /v1/pairing/approve`: the code the contact was given. */
export const PairingApprove = z.strictObject({ code: z.string().trim().regex(/^[A-Za-z0-9]{6,12}$/, 'a pairing code') });
/** The contact the approved code belonged to. */
export const PairingApproved = z.object({ contactId: ContactId });

/** A failed reply is parked after this many attempts. */
export const MAX_DELIVERY_ATTEMPTS = 5;
