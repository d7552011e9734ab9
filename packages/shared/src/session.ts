/** Sessions (one conversation per agent, contact and thread) and their transcript messages. */
import { z } from 'zod';
import { AgentId, ContactId, MessageId, SessionId } from './ids';
import { Channel } from './contact';
import { storableText } from './text';

export const Provider = z.enum(['echo', 'claude', 'codex', 'opencode', 'openai', 'anthropic']);
export type Provider = z.infer<typeof Provider>;

export const SessionStatus = z.enum(['open', 'closed']);
export type SessionStatus = z.infer<typeof SessionStatus>;

export const ThreadKey = storableText().max(200);

export const Session = z.object({
  id: SessionId,
  agentId: AgentId,
  contactId: ContactId.nullable(),
  threadKey: ThreadKey,
  provider: Provider,
  providerSessionId: z.string().nullable(),
  status: SessionStatus,
  createdAt: z.coerce.date(),
  closedAt: z.coerce.date().nullable(),
});
export type Session = z.infer<typeof Session>;

export const Direction = z.enum(['inbound', 'outbound']);
export type Direction = z.infer<typeof Direction>;

/** The tokens a reply cost, as the provider reported them. */
export const TokenUsage = z.object({ inputTokens: z.number().int().min(0), outputTokens: z.number().int().min(0) });
export type TokenUsage = z.infer<typeof TokenUsage>;

export const Message = z.object({
  id: MessageId,
  sessionId: SessionId,
  contactId: ContactId.nullable(),
  senderContactId: ContactId.nullable(),
  direction: Direction,
  channel: Channel,
  accountKey: z.string(),
  chatId: z.string(),
  platformMessageId: z.string().nullable(),
  text: z.string(),
  /** Replies: what the turn cost, when the provider says. */
  usage: TokenUsage.nullable(),
  createdAt: z.coerce.date(),
});
export type Message = z.infer<typeof Message>;

/** Whose chats: the owner's own, or one contact's. */
export const SessionOwnerFilter = z.union([z.literal('owner'), ContactId]);
export type SessionOwnerFilter = z.infer<typeof SessionOwnerFilter>;

/** `GET /v1/sessions`. */
export const SessionListQuery = z.strictObject({
  contact: SessionOwnerFilter.optional(),
  limit: z.coerce.number<number>().int().min(1).max(1000).optional(),
});
export const SessionList = z.object({ sessions: z.array(Session) });
export const SessionIdParams = z.object({ id: SessionId });
export const MessageList = z.object({ messages: z.array(Message) });

/** `GET /v1/sessions/:id/messages`: the last `limit` messages before the `before` cursor (default the newest). */
export const MessagePageQuery = z.strictObject({
  before: z.string().regex(/^[1-9]\d{0,18}$/, 'a cursor from an earlier page').optional(),
  limit: z.coerce.number<number>().int().min(1).max(500).optional(),
});
export type MessagePageQuery = z.input<typeof MessagePageQuery>;
/** Oldest first; `older` is the cursor of the page before this one, null when this page starts the transcript. */
export const MessagePage = MessageList.extend({ older: z.string().nullable() });
export type MessagePage = z.infer<typeof MessagePage>;

/** `GET /v1/events` takes no query. */
export const EventsQuery = z.strictObject({});

/** `GET /v1/usage`: turns and tokens per day (UTC) and contact, for the last `days` days. */
export const UsageQuery = z.strictObject({
  days: z.coerce.number<number>().int().min(1).max(366).optional(),
  contact: SessionOwnerFilter.optional(),
});
export type UsageQuery = z.input<typeof UsageQuery>;
export const UsageDay = z.object({
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  contactId: ContactId.nullable(),
  turns: z.number().int().min(0),
  inputTokens: z.number().int().min(0),
  outputTokens: z.number().int().min(0),
});
export type UsageDay = z.infer<typeof UsageDay>;
/** Newest day first. */
export const UsageList = z.object({ usage: z.array(UsageDay) });

/** `POST /v1/sessions/reset`: ends the open session of an agent, a chat and a thread. */
export const SessionReset = z.strictObject({
  agent: z.string().min(1).max(63).default('default'),
  contact: SessionOwnerFilter,
  thread: ThreadKey.default(''),
});
export type SessionReset = z.input<typeof SessionReset>;
/** The session that was closed, or none when no session was open. */
export const SessionResetResult = z.object({ reset: z.boolean(), session: Session.nullable() });
