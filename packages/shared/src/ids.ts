/** Branded ids: a ContactId cannot be passed where a SessionId is expected. */
import { z } from 'zod';

export const TenantId = z.uuid().brand<'TenantId'>();
export type TenantId = z.infer<typeof TenantId>;

export const AgentId = z.uuid().brand<'AgentId'>();
export type AgentId = z.infer<typeof AgentId>;

export const ContactId = z.uuid().brand<'ContactId'>();
export type ContactId = z.infer<typeof ContactId>;

export const SessionId = z.uuid().brand<'SessionId'>();
export type SessionId = z.infer<typeof SessionId>;

export const MessageId = z.uuid().brand<'MessageId'>();
export type MessageId = z.infer<typeof MessageId>;

export const MemoryId = z.uuid().brand<'MemoryId'>();
export type MemoryId = z.infer<typeof MemoryId>;
