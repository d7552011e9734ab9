/**
 * The typed HTTP client of the Switchboard API, used by `sb` and the gateway. Every response is
 * parsed with the shared schemas; every failure is an AppError: the server's own error shape,
 * `unavailable` when the server cannot be reached (or went away mid-request), `timeout` after
 * `timeoutMs`.
 */
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { z } from 'zod';
import { AgentCheck, AgentList, AgentReply, type AgentCreate, type AgentPatch } from './agent';
import {
  ChannelAccountList, ChannelAccountReply, ChannelLeaseReleased, ChannelLeaseReply, ChannelRemoved, ChannelState, ChannelStateWritten,
  GatewayAccountList, type ChannelAccountCreate, type ChannelLeaseRequest, type ChannelStateUpdate,
} from './channel';
import { ContactList, ContactReply, ContactResolved, ForgetResult, type ContactAccess, type ResolveContactInput } from './contact';
import { AppError, ErrorBody, errorStatus, type ErrorCode } from './error';
import { Health } from './health';
import type { ContactId, MemoryId, SessionId } from './ids';
import { InboundAccepted, InboundAnswered, InboundResult, Reply, type InboundMessage } from './inbound';
import { MemoryHistory, MemoryList, MemoryReply, type MemoryCreate, type MemoryListQuery, type MemoryPatch } from './memory';
import {
  OutboxItemList, OutboxItemReply, PairingApproved, PairingList, type OutboxAck, type OutboxClaim, type OutboxFailure, type OutboxListQuery,
} from './outbox';
import { Message, MessageList, MessagePage, SessionList, SessionResetResult, UsageList, type MessagePageQuery, type SessionOwnerFilter, type SessionReset, type UsageQuery } from './session';
import { TenantCreated, TenantErased, TenantList, TenantMemberList, TenantMemberReply, type MemberLinkInput, type TenantCreate } from './tenant';
import { timeoutSignal } from './timeout-signal';

export interface ApiClientOptions {
  baseUrl: string;
  token: string;
  /** Per request; `?wait=true` requests may take as long as a turn. Default 130 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

type Query = Record<string, string | number | boolean | undefined>;

export type ApiClient = ReturnType<typeof createApiClient>;

export function createApiClient(options: ApiClientOptions) {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 130_000;

  async function call<T>(schema: z.ZodType<T>, method: string, path: string, body?: unknown, query?: Query, signal?: AbortSignal): Promise<T> {
    const url = `${baseUrl}${path}${queryString(query)}`;
    const limit = timeoutSignal(timeoutMs, signal);
    let response: Response;
    let payload: unknown;
    try {
      response = await fetchImpl(url, {
        method,
        headers: { authorization: `Bearer ${options.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? null : JSON.stringify(body),
        signal: limit.signal,
      });
      payload = await response.json().catch(() => undefined);
    } catch (error) {
      throw transportError(error, method, url);
    } finally {
      limit.clear();
    }
    if (!response.ok) throw responseError(response.status, payload, method, path);
    return schema.parse(payload);
  }

  /** The streamed answer of `inboundStream`; `signal` bounds the whole exchange. */
  async function readInboundStream(path: string, message: InboundMessage, signal: AbortSignal, onText: (textSoFar: string) => void): Promise<InboundResult> {
    let response: Response;
    try {
      response = await fetchImpl(`${baseUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify(message),
        signal,
      });
    } catch (error) {
      throw transportError(error, 'POST', `${baseUrl}${path}`);
    }
    if (!response.headers.get('content-type')?.startsWith('text/event-stream')) {
      const payload: unknown = await response.json().catch(() => undefined);
      if (!response.ok) throw responseError(response.status, payload, 'POST', path);
      return InboundAccepted.parse(payload);
    }
    let text = '';
    const events = (response.body ?? new ReadableStream()).pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
    for await (const event of events as unknown as AsyncIterable<{ event?: string; data: string }>) {
      const data: unknown = JSON.parse(event.data);
      if (event.event === 'done') return InboundAnswered.parse(data);
      if (event.event === 'error') throw responseError(502, data, 'POST', path);
      const chunk = Reply.parse(data).text;
      text = event.event === 'replace' ? chunk : text + chunk;
      onText(text);
    }
    throw new AppError('unavailable', `POST ${path} ended without an answer`);
  }

  const get = <T>(schema: z.ZodType<T>, path: string, query?: Query) => call(schema, 'GET', path, undefined, query);

  return {
    health: () => get(Health, '/healthz'),

    /** Posts an inbound message; with `wait`, resolves once the turn finished. */
    inbound(message: InboundMessage, opts: { wait?: boolean } = {}) {
      return call(InboundResult, 'POST', '/v1/inbound', message, { wait: opts.wait || undefined });
    },

    /**
     * Like `inbound(message, {wait: true})`, with the reply's text so far passed to `onText` while
     * a streaming provider writes it (`?stream=true`).
     */
    async inboundStream(message: InboundMessage, onText: (textSoFar: string) => void): Promise<InboundResult> {
      const path = '/v1/inbound?wait=true&stream=true';
      const limit = timeoutSignal(timeoutMs);
      try {
        return await readInboundStream(path, message, limit.signal, onText);
      } finally {
        limit.clear();
      }
    },

    contacts: {
      list: () => get(ContactList, '/v1/contacts').then((r) => r.contacts),
      get: (id: ContactId) => get(ContactReply, `/v1/contacts/${seg(id)}`).then((r) => r.contact),
      resolve: (input: Partial<ResolveContactInput> & Pick<ResolveContactInput, 'channel' | 'externalId'>) =>
        call(ContactResolved, 'POST', '/v1/contacts/resolve', input).then((r) => r.contact),
      setAccess: (id: ContactId, access: ContactAccess) =>
        call(ContactReply, 'PATCH', `/v1/contacts/${seg(id)}`, { access }).then((r) => r.contact),
      merge: (id: ContactId, into: ContactId) =>
        call(ContactReply, 'POST', `/v1/contacts/${seg(id)}/merge`, { into }).then((r) => r.contact),
      unmerge: (id: ContactId) =>
        call(ContactReply, 'POST', `/v1/contacts/${seg(id)}/unmerge`, {}).then((r) => r.contact),
      forget: (id: ContactId) => call(ForgetResult, 'DELETE', `/v1/contacts/${seg(id)}`),
    },

    sessions: {
      list: (filter: { contact?: SessionOwnerFilter; limit?: number } = {}) =>
        get(SessionList, '/v1/sessions', filter).then((r) => r.sessions),
      messages: (id: SessionId) =>
        get(MessageList, `/v1/sessions/${seg(id)}/messages`).then((r) => r.messages),
      /** The newest `limit` messages, or those before `before` (a page's `older` cursor); oldest first. */
      messagesPage: (id: SessionId, page: MessagePageQuery = {}) =>
        get(MessagePage, `/v1/sessions/${seg(id)}/messages`, page),
      reset: (input: SessionReset) =>
        call(SessionResetResult, 'POST', '/v1/sessions/reset', input),
    },

    /** Turns and tokens per UTC day and contact, newest day first (default: the last 30 days). */
    usage: (query: UsageQuery = {}) => get(UsageList, '/v1/usage', query).then((r) => r.usage),

    /**
     * Follows `GET /v1/events`: calls `onMessage` with every new transcript message of the tenant
     * until `signal` aborts (resolves) or the stream ends (resolves; the caller may reconnect).
     */
    async events(onMessage: (message: Message) => void, signal: AbortSignal): Promise<void> {
      let response: Response;
      try {
        response = await fetchImpl(`${baseUrl}/v1/events`, {
          headers: { authorization: `Bearer ${options.token}`, accept: 'text/event-stream' },
          signal,
        });
      } catch (error) {
        if (signal.aborted) return;
        throw transportError(error, 'GET', `${baseUrl}/v1/events`);
      }
      if (!response.ok || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
        const payload: unknown = await response.json().catch(() => undefined);
        throw responseError(response.status, payload, 'GET', '/v1/events');
      }
      const events = (response.body ?? new ReadableStream()).pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
      try {
        for await (const event of events as unknown as AsyncIterable<{ event?: string; data: string }>) {
          if (event.event === 'message') onMessage(Message.parse(JSON.parse(event.data)));
        }
      } catch (error) {
        if (!signal.aborted) throw transportError(error, 'GET', `${baseUrl}/v1/events`);
      }
    },

    memories: {
      list: (filter: MemoryListQuery = {}) =>
        get(MemoryList, '/v1/memories', filter).then((r) => r.memories),
      add: (input: MemoryCreate) =>
        call(MemoryReply, 'POST', '/v1/memories', input).then((r) => r.memory),
      get: (id: MemoryId) => get(MemoryReply, `/v1/memories/${seg(id)}`).then((r) => r.memory),
      update: (id: MemoryId, change: MemoryPatch) =>
        call(MemoryReply, 'PATCH', `/v1/memories/${seg(id)}`, change).then((r) => r.memory),
      delete: (id: MemoryId) => call(MemoryReply, 'DELETE', `/v1/memories/${seg(id)}`).then((r) => r.memory),
      history: (id: MemoryId) =>
        get(MemoryHistory, `/v1/memories/${seg(id)}/history`).then((r) => r.events),
    },

    agents: {
      list: () => get(AgentList, '/v1/agents').then((r) => r.agents),
      get: (name: string) => get(AgentReply, `/v1/agents/${seg(name)}`).then((r) => r.agent),
      create: (input: AgentCreate) => call(AgentReply, 'POST', '/v1/agents', input).then((r) => r.agent),
      check: (name: string) => get(AgentCheck, `/v1/agents/${seg(name)}/check`),
      update: (name: string, patch: AgentPatch) =>
        call(AgentReply, 'PATCH', `/v1/agents/${seg(name)}`, patch).then((r) => r.agent),
    },

    /** With the installation's admin token. */
    tenants: {
      list: () => get(TenantList, '/v1/tenants').then((r) => r.tenants),
      create: (input: TenantCreate) => call(TenantCreated, 'POST', '/v1/tenants', input),
      remove: (slug: string) => call(TenantErased, 'DELETE', `/v1/tenants/${seg(slug)}`),
      members: (slug: string) => get(TenantMemberList, `/v1/tenants/${seg(slug)}/members`).then((r) => r.members),
      link: (slug: string, member: MemberLinkInput) =>
        call(TenantMemberReply, 'POST', `/v1/tenants/${seg(slug)}/members`, member).then((r) => r.member),
      /** `member`: the user's id or email address. */
      unlink: (slug: string, member: string) =>
        call(TenantMemberReply, 'DELETE', `/v1/tenants/${seg(slug)}/members/${seg(member)}`).then((r) => r.member),
    },

    pairing: {
      list: () => get(PairingList, '/v1/pairing').then((r) => r.requests),
      approve: (code: string) =>
        call(PairingApproved, 'POST', '/v1/pairing/approve', { code }),
    },

    outbox: {
      list: (filter: OutboxListQuery = {}) =>
        get(OutboxItemList, '/v1/outbox', filter).then((r) => r.items),
      /** `signal` gives up a waiting claim (the server then leases nothing to it). */
      claim: (claim: OutboxClaim, signal?: AbortSignal) =>
        call(OutboxItemList, 'POST', '/v1/outbox/claim', claim, undefined, signal).then((r) => r.items),
      /** `holder`: the gateway token's lease holder of the item's account. */
      ack: (id: string, ack: OutboxAck = {}) => call(OutboxItemReply, 'POST', `/v1/outbox/${seg(id)}/ack`, ack).then((r) => r.item),
      fail: (id: string, failure: OutboxFailure) =>
        call(OutboxItemReply, 'POST', `/v1/outbox/${seg(id)}/fail`, failure).then((r) => r.item),
      retry: (id: string) => call(OutboxItemReply, 'POST', `/v1/outbox/${seg(id)}/retry`, {}).then((r) => r.item),
    },

    channels: {
      list: () => get(ChannelAccountList, '/v1/channels').then((r) => r.accounts),
      add: (input: ChannelAccountCreate) => call(ChannelAccountReply, 'POST', '/v1/channels', input).then((r) => r.account),
      remove: (channel: string, accountId: string) =>
        call(ChannelRemoved, 'DELETE', `/v1/channels/${seg(channel)}/${seg(accountId)}`),
      /** The gateway's view: every account with its token. */
      forGateway: () => get(GatewayAccountList, '/v1/gateway/accounts').then((r) => r.accounts),
      /** Takes or renews the right to connect an account; `granted: false` while another gateway holds it. */
      takeLease: (channel: string, accountId: string, request: ChannelLeaseRequest) =>
        call(ChannelLeaseReply, 'POST', `/v1/gateway/accounts/${seg(channel)}/${seg(accountId)}/lease`, request).then((r) => r.lease),
      releaseLease: (channel: string, accountId: string, holder: string) =>
        call(ChannelLeaseReleased, 'DELETE', `/v1/gateway/accounts/${seg(channel)}/${seg(accountId)}/lease`, undefined, { holder })
          .then((r) => r.released),
      readState: (channel: string, accountId: string) =>
        get(ChannelState, `/v1/channels/${seg(channel)}/${seg(accountId)}/state`).then((r) => r.entries),
      writeState: (channel: string, accountId: string, update: ChannelStateUpdate) =>
        call(ChannelStateWritten, 'POST', `/v1/channels/${seg(channel)}/${seg(accountId)}/state`, update),
    },
  };
}

function seg(value: string): string {
  return encodeURIComponent(value);
}

function queryString(query: Query | undefined): string {
  const entries = Object.entries(query ?? {}).filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined);
  return entries.length === 0 ? '' : `?${new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
}

function transportError(error: unknown, method: string, url: string): AppError {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError') return new AppError('timeout', `${method} ${url} timed out`, { cause: error });
  return new AppError('unavailable', `Cannot reach Switchboard at ${url} (is \`sb serve\` running?)`, { cause: error });
}

function responseError(status: number, payload: unknown, method: string, path: string): AppError {
  const parsed = ErrorBody.safeParse(payload);
  if (!parsed.success) return new AppError(codeForStatus(status), `${method} ${path} failed with HTTP ${status}`);
  const { code, message, details } = parsed.data.error;
  return new AppError(isErrorCode(code) ? code : codeForStatus(status), message, { details });
}

function isErrorCode(code: string): code is ErrorCode {
  return code in errorStatus;
}

function codeForStatus(status: number): ErrorCode {
  const match = (Object.entries(errorStatus) as [ErrorCode, number][]).find(([, s]) => s === status);
  return match?.[0] ?? (status >= 500 ? 'upstream_failed' : 'invalid_input');
}
