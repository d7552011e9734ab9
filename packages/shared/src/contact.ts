/** Contacts: an external person or a group chat, reached through one or more channel identities. */
import { z } from 'zod';
import { ContactId } from './ids';
import { safeText } from './text';

export const Channel = z.enum(['telegram', 'whatsapp', 'discord', 'cli', 'web']);
export type Channel = z.infer<typeof Channel>;

export const ContactKind = z.enum(['person', 'group']);
export type ContactKind = z.infer<typeof ContactKind>;

/** A platform's id for a sender or chat: printable, bounded. */
export const ExternalId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

/** A person's or group's name as the platform reports it. */
export const DisplayName = z.string().trim().pipe(safeText(200));

/** Who may talk to the agents: `default` follows the agent's DM policy. */
export const ContactAccess = z.enum(['default', 'allowed', 'blocked']);
export type ContactAccess = z.infer<typeof ContactAccess>;

export const Identity = z.object({
  channel: Channel,
  externalId: ExternalId,
});
export type Identity = z.infer<typeof Identity>;

export const Contact = z.object({
  id: ContactId,
  kind: ContactKind,
  displayName: z.string().nullable(),
  mergedInto: ContactId.nullable(),
  access: ContactAccess,
  identities: z.array(Identity),
  createdAt: z.coerce.date(),
});
export type Contact = z.infer<typeof Contact>;

export const ResolveContactInput = z.object({
  channel: Channel,
  externalId: ExternalId,
  kind: ContactKind.default('person'),
  displayName: DisplayName.optional(),
  /** The gateway token: the receiving channel account (default `default`), whose tenant the contact is in. */
  accountId: ExternalId.optional(),
});
export type ResolveContactInput = z.infer<typeof ResolveContactInput>;

/** An identity with the display name the platform reported, if any. */
export type NamedIdentity = Identity & { displayName?: string | undefined };

/** Row counts removed by erasing a contact. */
export const ForgetResult = z.object({
  contactId: ContactId,
  deleted: z.record(z.string(), z.number().int().nonnegative()),
  /** Files of the contact that could not be deleted (the rows are gone; forgetting again retries). */
  filesNotDeleted: z.array(z.string()).optional(),
});
export type ForgetResult = z.infer<typeof ForgetResult>;

/** `GET /v1/contacts/{id}` and the other routes on one contact. */
export const ContactIdParams = z.object({ id: ContactId });
export const ContactList = z.object({ contacts: z.array(Contact) });
export type ContactList = z.infer<typeof ContactList>;
export const ContactReply = z.object({ contact: Contact });
export type ContactReply = z.infer<typeof ContactReply>;
/** `POST /v1/contacts/resolve`: the contact, and whether it was created (201) or found (200). */
export const ContactResolved = z.object({ contact: Contact, created: z.boolean() });
export type ContactResolved = z.infer<typeof ContactResolved>;
/** `PATCH /v1/contacts/{id}`. */
export const ContactAccessChange = z.strictObject({ access: ContactAccess });
/** `POST /v1/contacts/{id}/merge`: the contact becomes part of `into`. */
export const ContactMerge = z.strictObject({ into: ContactId });
/** `POST /v1/contacts/{id}/unmerge` takes an empty body. */
export const ContactUnmerge = z.strictObject({});

/** The text of a reply (transcript, event, outbox) whose turn was shown memories of a contact since erased. */
export const REDACTED_REPLY = '[removed: this reply drew on memories of a contact who has been erased]';
