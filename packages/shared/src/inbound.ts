/**
 * The inbound message every adapter (and `sb chat`) posts to `POST /v1/inbound`, and the answers.
 * A direct chat's contact is the sender; a group chat's contact is the group, the sender a member.
 * With the owner token, channel `cli` without sender and chat is the owner's own chat.
 */
import { z } from 'zod';
import { AgentName } from './agent';
import { Channel, DisplayName, ExternalId } from './contact';
import { ContactId, SessionId } from './ids';
import { safeText } from './text';

export const MAX_MESSAGE_TEXT = 32_000;

export const ChatType = z.enum(['direct', 'group']);
export type ChatType = z.infer<typeof ChatType>;

export const InboundMessage = z
  .strictObject({
    agent: AgentName.optional(),
    channel: Channel,
    accountId: ExternalId.optional(),
    /** `title` names a group chat (its contact's display name follows the current title). */
    chat: z.strictObject({ id: ExternalId, type: ChatType, title: DisplayName.optional() }).optional(),
    sender: z.strictObject({ id: ExternalId, displayName: DisplayName.optional() }).optional(),
    thread: z.strictObject({ id: safeText(200) }).optional(),
    messageId: safeText(128),
    text: safeText(MAX_MESSAGE_TEXT),
    mentioned: z.boolean().optional(),
    /** False: the reply is returned to the caller and kept in the transcript, but not sent through the channel. */
    deliver: z.boolean().optional(),
  })
  .refine((m) => m.sender !== undefined || (m.chat === undefined && m.channel === 'cli'), {
    message: 'sender is required, except for the owner\'s own chat (channel cli, no chat)',
    path: ['sender'],
  })
  .refine((m) => m.chat?.type !== 'direct' || m.chat.id === m.sender?.id, {
    message: 'a direct chat\'s id is the sender\'s id',
    path: ['chat', 'id'],
  })
  .refine((m) => m.chat?.type !== 'direct' || m.chat.title === undefined, {
    message: 'only a group chat has a title (a person is named by sender.displayName)',
    path: ['chat', 'title'],
  });
export type InboundMessage = z.infer<typeof InboundMessage>;

const Flag = z.enum(['true', 'false', '1', '0']).optional().transform((value) => value === 'true' || value === '1');

/** `?wait=true` answers once the turn finished; `&stream=true` as server-sent events (`delta`, `replace`, `done`, `error`). */
export const InboundQuery = z.strictObject({ wait: Flag, stream: Flag })
  .refine((query) => !query.stream || query.wait, { message: 'stream=true needs wait=true', path: ['stream'] });

export const InboundStatus = z.enum(['queued', 'duplicate', 'ignored', 'blocked']);
export type InboundStatus = z.infer<typeof InboundStatus>;

export const Reply = z.object({ text: z.string() });
export type Reply = z.infer<typeof Reply>;

/** `202` from `POST /v1/inbound`: accepted (or not) without waiting for the turn. */
export const InboundAccepted = z.object({
  eventId: z.uuid(),
  contactId: ContactId.nullable(),
  status: InboundStatus,
  reason: z.string().optional(),
  /** A reply given without a turn (the pairing code). */
  reply: Reply.optional(),
});
export type InboundAccepted = z.infer<typeof InboundAccepted>;

/** `200` from `POST /v1/inbound?wait=true`: the finished turn. */
export const InboundAnswered = z.object({
  eventId: z.uuid(),
  contactId: ContactId.nullable(),
  sessionId: SessionId.nullable(),
  status: z.literal('done'),
  reply: Reply,
});
export type InboundAnswered = z.infer<typeof InboundAnswered>;

export const InboundResult = z.union([InboundAnswered, InboundAccepted]);
export type InboundResult = z.infer<typeof InboundResult>;
