/**
 * Every route the API serves, with who may call it and the shared zod schemas of its request and
 * its answers: the source of `GET /openapi.json`. A test walks the express app and fails when a
 * route is served without an entry here, or listed here without being served; a new route is one
 * more entry. Paths are in full and in OpenAPI form (`/v1/contacts/{id}`).
 */
import { z } from 'zod';
import {
  AgentCheck, AgentCreate, AgentList, AgentNameParams, AgentPatch, AgentReply,
  ChannelAccountCreate, ChannelAccountList, ChannelAccountParams, ChannelAccountReply, ChannelLeaseRelease, ChannelLeaseReleased,
  ChannelLeaseReply, ChannelLeaseRequest, ChannelRemoved, ChannelState, ChannelStateUpdate, ChannelStateWritten, GatewayAccountList,
  ContactAccessChange, ContactIdParams, ContactList, ContactMerge, ContactReply, ContactResolved, ContactUnmerge, ForgetResult,
  ResolveContactInput, Health, InboundAccepted, InboundAnswered, InboundMessage, InboundQuery, McpRequest, McpResponse,
  MemoryCreate, MemoryHistory, MemoryIdParams, MemoryList, MemoryListQuery, MemoryPatch, MemoryReply, OpenApiDocument,
  OutboxAck, OutboxClaim, OutboxFailure, OutboxItemIdParams, OutboxItemList, OutboxItemReply, OutboxListQuery,
  PairingApprove, PairingApproved, PairingList, MessagePage, MessagePageQuery, SessionIdParams, SessionList, SessionListQuery, SessionReset,
  SessionResetResult, UsageList, UsageQuery, EventsQuery, TenantCreate, TenantCreated, TenantErased, TenantList, TenantSlugParams, MemberLinkInput, TenantMemberList, TenantMemberParams, TenantMemberReply,
} from '@switchboard/shared';
import type { TokenKind } from '../auth/token-repo';

type Schema = z.ZodType;

/** An answer: a JSON body, a body in several media types, or none (`null`). */
export type RouteAnswer = Schema | Partial<Record<'application/json' | 'text/event-stream' | 'text/plain', Schema>> | null;

export interface ApiRoute {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  /** Anyone; a running turn's token (MCP); or bearer tokens of these kinds. */
  auth: 'anyone' | 'turn' | readonly TokenKind[];
  summary: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** An optional body is a schema that accepts `undefined`. */
  body?: Schema;
  /** Answers by status; error statuses not listed here answer the shared error body. */
  responses: Record<number, RouteAnswer>;
}

const OWNER = ['owner'] as const;
const OWNER_GATEWAY = ['owner', 'gateway'] as const;
const ADMIN = ['admin'] as const;

const InboundEvents = z.string().meta({
  description: 'Server-sent events: `delta` and `replace` ({text}) while the reply is written, then `done` (the answered body) or `error` (the error body).',
});

const MessageEvents = z.string().meta({
  description: 'Server-sent events: `message` (a Message) for every new transcript message of the tenant; `: ping` comments every 15 s.',
});

export const API_ROUTES: readonly ApiRoute[] = [
  { method: 'get', path: '/healthz', auth: 'anyone', summary: 'The process answers', responses: { 200: Health } },
  { method: 'get', path: '/openapi.json', auth: 'anyone', summary: 'This document', responses: { 200: OpenApiDocument } },
  { method: 'get', path: '/readyz', auth: 'anyone', summary: 'The database answers and every migration is applied (503 otherwise)', responses: { 200: Health } },
  {
    method: 'get', path: '/metrics', auth: ['owner', 'admin'], summary: 'Prometheus metrics of the installation (also with SB_METRICS_TOKEN)',
    responses: { 200: { 'text/plain': z.string().meta({ description: 'Prometheus text format 0.0.4; every name starts with sb_' }) } },
  },
  {
    method: 'post', path: '/mcp', auth: 'turn', summary: 'The memory tools over MCP (Streamable HTTP, stateless)', body: McpRequest,
    // 202 without a body answers a notification.
    responses: { 200: McpResponse, 202: null, 401: McpResponse },
  },

  {
    method: 'post', path: '/v1/inbound', auth: OWNER_GATEWAY, summary: 'Post a message from a chat; with ?wait=true, answer with the reply',
    query: InboundQuery, body: InboundMessage,
    responses: { 202: InboundAccepted, 200: { 'application/json': InboundAnswered, 'text/event-stream': InboundEvents } },
  },

  { method: 'get', path: '/v1/agents', auth: OWNER, summary: 'List agents', responses: { 200: AgentList } },
  { method: 'post', path: '/v1/agents', auth: OWNER, summary: 'Create an agent', body: AgentCreate, responses: { 201: AgentReply } },
  { method: 'get', path: '/v1/agents/{name}', auth: OWNER, summary: 'Show an agent', params: AgentNameParams, responses: { 200: AgentReply } },
  { method: 'patch', path: '/v1/agents/{name}', auth: OWNER, summary: 'Change an agent', params: AgentNameParams, body: AgentPatch, responses: { 200: AgentReply } },
  { method: 'get', path: '/v1/agents/{name}/check', auth: OWNER, summary: 'Check whether an agent can run on this server', params: AgentNameParams, responses: { 200: AgentCheck } },

  { method: 'get', path: '/v1/tenants', auth: ADMIN, summary: 'List the tenants of the installation', responses: { 200: TenantList } },
  {
    method: 'post', path: '/v1/tenants', auth: ADMIN, summary: 'Create a tenant and its first owner token (shown once)', body: TenantCreate,
    responses: { 201: TenantCreated },
  },
  {
    method: 'delete', path: '/v1/tenants/{slug}', auth: ADMIN, summary: 'Erase a tenant and everything in it', params: TenantSlugParams,
    responses: { 200: TenantErased },
  },
  { method: 'get', path: '/v1/tenants/{slug}/members', auth: ADMIN, summary: 'The Supabase Auth users who own a tenant', params: TenantSlugParams, responses: { 200: TenantMemberList } },
  {
    method: 'post', path: '/v1/tenants/{slug}/members', auth: ADMIN, summary: 'Link a Supabase Auth user (by id, or by email at its first confirmed sign-in) as an owner',
    params: TenantSlugParams, body: MemberLinkInput, responses: { 201: TenantMemberReply },
  },
  {
    method: 'delete', path: '/v1/tenants/{slug}/members/{member}', auth: ADMIN, summary: 'Unlink an owner (by user id or email); its sign-ins stop at once',
    params: TenantMemberParams, responses: { 200: TenantMemberReply },
  },

  { method: 'get', path: '/v1/pairing', auth: OWNER, summary: 'List pending pairing codes', responses: { 200: PairingList } },
  { method: 'post', path: '/v1/pairing/approve', auth: OWNER, summary: 'Approve a pairing code', body: PairingApprove, responses: { 200: PairingApproved } },

  { method: 'get', path: '/v1/outbox', auth: OWNER_GATEWAY, summary: 'List replies by delivery status', query: OutboxListQuery, responses: { 200: OutboxItemList } },
  { method: 'post', path: '/v1/outbox/claim', auth: OWNER_GATEWAY, summary: 'Lease the due replies of one account', body: OutboxClaim, responses: { 200: OutboxItemList } },
  { method: 'post', path: '/v1/outbox/{id}/ack', auth: OWNER_GATEWAY, summary: 'Mark a reply sent', params: OutboxItemIdParams, body: OutboxAck.optional(), responses: { 200: OutboxItemReply } },
  { method: 'post', path: '/v1/outbox/{id}/fail', auth: OWNER_GATEWAY, summary: 'Report a failed send', params: OutboxItemIdParams, body: OutboxFailure, responses: { 200: OutboxItemReply } },
  { method: 'post', path: '/v1/outbox/{id}/retry', auth: OWNER, summary: 'Retry a parked reply', params: OutboxItemIdParams, responses: { 200: OutboxItemReply } },

  { method: 'get', path: '/v1/channels', auth: OWNER, summary: 'List channel accounts', responses: { 200: ChannelAccountList } },
  { method: 'post', path: '/v1/channels', auth: OWNER, summary: 'Add a channel account', body: ChannelAccountCreate, responses: { 201: ChannelAccountReply } },
  { method: 'delete', path: '/v1/channels/{channel}/{account}', auth: OWNER, summary: 'Remove a channel account', params: ChannelAccountParams, responses: { 200: ChannelRemoved } },
  { method: 'get', path: '/v1/channels/{channel}/{account}/state', auth: OWNER_GATEWAY, summary: "Read a channel's session state", params: ChannelAccountParams, responses: { 200: ChannelState } },
  { method: 'post', path: '/v1/channels/{channel}/{account}/state', auth: OWNER_GATEWAY, summary: "Write a channel's session state", params: ChannelAccountParams, body: ChannelStateUpdate, responses: { 200: ChannelStateWritten } },
  { method: 'get', path: '/v1/gateway/accounts', auth: OWNER_GATEWAY, summary: 'The accounts a gateway connects, with their tokens', responses: { 200: GatewayAccountList } },
  { method: 'post', path: '/v1/gateway/accounts/{channel}/{account}/lease', auth: OWNER_GATEWAY, summary: 'Take or renew the right to connect an account', params: ChannelAccountParams, body: ChannelLeaseRequest, responses: { 200: ChannelLeaseReply } },
  { method: 'delete', path: '/v1/gateway/accounts/{channel}/{account}/lease', auth: OWNER_GATEWAY, summary: 'Give up the right to connect an account', params: ChannelAccountParams, query: ChannelLeaseRelease, responses: { 200: ChannelLeaseReleased } },

  { method: 'get', path: '/v1/contacts', auth: OWNER, summary: 'List contacts with their identities', responses: { 200: ContactList } },
  { method: 'post', path: '/v1/contacts/resolve', auth: OWNER_GATEWAY, summary: 'Find or create the contact of a channel identity', body: ResolveContactInput.strict(), responses: { 200: ContactResolved, 201: ContactResolved } },
  { method: 'get', path: '/v1/contacts/{id}', auth: OWNER, summary: 'Show a contact', params: ContactIdParams, responses: { 200: ContactReply } },
  { method: 'patch', path: '/v1/contacts/{id}', auth: OWNER, summary: 'Allow or block a contact', params: ContactIdParams, body: ContactAccessChange, responses: { 200: ContactReply } },
  { method: 'delete', path: '/v1/contacts/{id}', auth: OWNER, summary: 'Erase a contact and everything of it', params: ContactIdParams, responses: { 200: ForgetResult } },
  { method: 'post', path: '/v1/contacts/{id}/merge', auth: OWNER, summary: 'Merge a contact into another', params: ContactIdParams, body: ContactMerge, responses: { 200: ContactReply } },
  { method: 'post', path: '/v1/contacts/{id}/unmerge', auth: OWNER, summary: 'Undo a merge', params: ContactIdParams, body: ContactUnmerge.optional(), responses: { 200: ContactReply } },

  { method: 'get', path: '/v1/memories', auth: OWNER, summary: "List or search the tenant's memories", query: MemoryListQuery, responses: { 200: MemoryList } },
  { method: 'post', path: '/v1/memories', auth: OWNER, summary: 'Add a memory', body: MemoryCreate, responses: { 201: MemoryReply } },
  { method: 'get', path: '/v1/memories/{id}', auth: OWNER, summary: 'Show a memory', params: MemoryIdParams, responses: { 200: MemoryReply } },
  { method: 'patch', path: '/v1/memories/{id}', auth: OWNER, summary: 'Edit a memory', params: MemoryIdParams, body: MemoryPatch, responses: { 200: MemoryReply } },
  { method: 'delete', path: '/v1/memories/{id}', auth: OWNER, summary: 'Delete a memory', params: MemoryIdParams, responses: { 200: MemoryReply } },
  { method: 'get', path: '/v1/memories/{id}/history', auth: OWNER, summary: "A memory's changes", params: MemoryIdParams, responses: { 200: MemoryHistory } },

  { method: 'get', path: '/v1/sessions', auth: OWNER, summary: "List sessions, the owner's or a contact's", query: SessionListQuery, responses: { 200: SessionList } },
  { method: 'post', path: '/v1/sessions/reset', auth: OWNER, summary: 'End the open session of a chat', body: SessionReset, responses: { 200: SessionResetResult } },
  {
    method: 'get', path: '/v1/sessions/{id}/messages', auth: OWNER, summary: "A page of a session's transcript (the newest, or before a cursor)",
    params: SessionIdParams, query: MessagePageQuery, responses: { 200: MessagePage },
  },
  { method: 'get', path: '/v1/usage', auth: OWNER, summary: 'Turns and tokens per day and contact', query: UsageQuery, responses: { 200: UsageList } },
  {
    method: 'get', path: '/v1/events', auth: OWNER, summary: 'New transcript messages of the tenant as they are written (server-sent events)',
    query: EventsQuery, responses: { 200: { 'text/event-stream': MessageEvents } },
  },
];
