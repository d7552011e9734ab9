/**
 * A fake Switchboard for CLI tests: a `fetch` that answers the documented routes from in-memory
 * records in the real wire format (`{contacts}`, `{memory}`, `{error: {code, message}}` …), checks
 * the bearer token, parses request bodies with the shared schemas (400 with the issues, as the
 * server does) and records each request. `run` runs `sb` against it and collects the output.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { z } from 'zod';
import {
  AgentCreate, AgentId, AgentPatch, ChannelAccountCreate, ContactAccess, ContactId, InboundMessage, MemoryId, SessionId, Visibility,
  type Agent, type AgentCheck, type ChannelAccount, type Contact, type OutboxItem, type InboundResult, type Memory, type MemoryEvent, type Message, type PairingRequest, type Session,
} from '@switchboard/shared';
import { runCli } from './cli-program';
import type { WhatsappLogin } from './commands/channels';

export const FAKE_TOKEN = 'fake-owner-token-0123456789';
export const FAKE_URL = 'http://switchboard.test:8787';

export interface FakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

export interface FakeRecords {
  contacts: Contact[];
  memories: Memory[];
  memoryEvents: MemoryEvent[];
  sessions: Session[];
  messages: Message[];
  agents: Agent[];
  pairing: PairingRequest[];
  channels: ChannelAccount[];
  outbox: OutboxItem[];
  /** `GET /v1/agents/:name/check` by agent name; by default the agent can run. */
  checks: Record<string, AgentCheck>;
  /** The answer to `POST /v1/inbound`; by default the echo agent's `echo: <text>`. */
  answer: (message: InboundMessage) => InboundResult;
  /** Files `DELETE /v1/contacts/:id` reports it could not delete; by default none. */
  filesNotDeleted: string[];
}

export interface SbRun {
  code: number;
  stdout: string;
  stderr: string;
}

type Reply = [status: number, body: unknown];
type Route = [method: string, pattern: RegExp, handle: (params: string[], request: FakeRequest) => Reply];

export function createFakeServer(seed: Partial<FakeRecords> = {}) {
  const records: FakeRecords = {
    contacts: [], memories: [], memoryEvents: [], sessions: [], messages: [], agents: [fakeAgent()], pairing: [], checks: {}, channels: [], outbox: [], filesNotDeleted: [],
    answer: (message) => ({ eventId: randomUUID(), contactId: null, sessionId: null, status: 'done', reply: { text: `echo: ${message.text}` } }),
    ...seed,
  };
  const requests: FakeRequest[] = [];
  const routes = createRoutes(records);

  const fakeFetch: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const text = typeof init?.body === 'string' ? init.body : undefined;
    const request: FakeRequest = {
      method: init?.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), body: text === undefined ? undefined : JSON.parse(text),
    };
    requests.push(request);
    const [status, body] = answer(routes, request, new Headers(init?.headers).get('authorization'));
    if (request.query.stream === 'true' && status === 200) return streamed(body as InboundResult);
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  };

  return {
    records,
    requests,
    fetch: fakeFetch,
    /** Runs `sb <args>` against this server with the owner token in the environment. */
    run(args: string[], options: { env?: Record<string, string | undefined>; input?: string; gateway?: WhatsappLogin; columns?: number } = {}): Promise<SbRun> {
      return runSb(args, {
        fetch: fakeFetch, env: { SB_URL: FAKE_URL, SB_OWNER_TOKEN: FAKE_TOKEN, ...options.env }, input: options.input ?? '',
        ...(options.gateway ? { gateway: options.gateway } : {}), ...(options.columns ? { columns: options.columns } : {}),
      });
    },
  };
}

/** Runs `sb <args>` with collected output and no server module; `columns`: as in a terminal that wide (default: piped). */
export async function runSb(
  args: string[],
  options: { env: Record<string, string | undefined>; fetch?: typeof fetch; input?: string; gateway?: WhatsappLogin; columns?: number },
): Promise<SbRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    env: options.env,
    io: { out: (text) => { stdout += text; }, err: (text) => { stderr += text; }, columns: options.columns, errColumns: options.columns },
    ...(options.fetch ? { fetch: options.fetch } : {}),
    input: Readable.from([options.input ?? '']),
    loadServer: () => Promise.reject(new Error('no server module in this test')),
    loadGateway: async () => {
      if (!options.gateway) throw new Error('no gateway module in this test');
      return { ...options.gateway, startGateway: () => Promise.reject(new Error('no gateway in this test')) };
    },
    untilShutdown: () => new Promise(() => {}),
  });
  return { code, stdout, stderr };
}

/** `?stream=true`: the answer as server-sent events, its text in two deltas. */
function streamed(result: InboundResult): Response {
  const text = 'reply' in result ? result.reply?.text ?? '' : '';
  const half = Math.ceil(text.length / 2);
  const events = [['delta', { text: text.slice(0, half) }], ['delta', { text: text.slice(half) }], ['done', result]] as const;
  const body = events.map(([event, data]) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`).join('');
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

function answer(routes: Route[], request: FakeRequest, authorization: string | null): Reply {
  if (authorization !== `Bearer ${FAKE_TOKEN}`) return failure(401, 'unauthorized', 'Missing or invalid bearer token');
  for (const [method, pattern, handle] of routes) {
    const match = pattern.exec(request.path);
    if (match && method === request.method) return handleParsing(() => handle(match.slice(1), request));
  }
  return failure(404, 'not_found', `Route ${request.method} ${request.path} not found`);
}

function handleParsing(handle: () => Reply): Reply {
  try {
    return handle();
  } catch (error) {
    if (!(error instanceof z.ZodError)) throw error;
    return [400, { error: { code: 'invalid_input', message: 'Invalid input', details: error.issues } }];
  }
}

const AccessBody = z.strictObject({ access: ContactAccess });
const MemoryBody = z.strictObject({ content: z.string(), contact: ContactId.nullable().optional(), visibility: Visibility.optional() });
const ApproveBody = z.strictObject({ code: z.string() });

function failure(status: number, code: string, message: string): Reply {
  return [status, { error: { code, message } }];
}

function createRoutes(r: FakeRecords): Route[] {
  const found = <T>(what: string, id: string | undefined, item: T | undefined, wrap: (item: T) => unknown): Reply =>
    item === undefined ? failure(404, 'not_found', `${what} ${id} not found`) : [200, wrap(item)];
  const contact = (id: string | undefined) => r.contacts.find((c) => c.id === id);
  const memory = (id: string | undefined) => r.memories.find((m) => m.id === id);
  const agent = (name: string | undefined) => r.agents.find((a) => a.name === name);
  const owned = (whose: string | undefined, contactId: string | null) => whose === undefined || (whose === 'owner' ? contactId === null : contactId === whose);
  return [
    ['GET', /^\/healthz$/, () => [200, { ok: true }]],
    ['POST', /^\/v1\/inbound$/, (_, req) => [req.query.wait === 'true' ? 200 : 202, r.answer(InboundMessage.parse(req.body))]],
    ['GET', /^\/v1\/contacts$/, () => [200, { contacts: r.contacts }]],
    ['GET', /^\/v1\/contacts\/([^/]+)$/, ([id]) => found('Contact', id, contact(id), (c) => ({ contact: c }))],
    ['PATCH', /^\/v1\/contacts\/([^/]+)$/, ([id], req) => found('Contact', id, contact(id), (c) => ({ contact: { ...c, ...AccessBody.parse(req.body) } }))],
    ['POST', /^\/v1\/contacts\/([^/]+)\/merge$/, ([id], req) =>
      found('Contact', id, contact(id), (c) => ({ contact: { ...c, mergedInto: (req.body as { into: string }).into } }))],
    ['POST', /^\/v1\/contacts\/([^/]+)\/unmerge$/, ([id]) => found('Contact', id, contact(id), (c) => ({ contact: { ...c, mergedInto: null } }))],
    ['DELETE', /^\/v1\/contacts\/([^/]+)$/, ([id]) => found('Contact', id, contact(id), (c) => ({
      contactId: c.id, deleted: { sessions: 1, messages: 4, memories: 2 }, ...(r.filesNotDeleted.length > 0 ? { filesNotDeleted: r.filesNotDeleted } : {}),
    }))],
    ['GET', /^\/v1\/sessions$/, (_, req) => [200, { sessions: r.sessions.filter((s) => owned(req.query.contact, s.contactId)) }]],
    ['GET', /^\/v1\/sessions\/([^/]+)\/messages$/, ([id]) => [200, { messages: r.messages.filter((m) => m.sessionId === id) }]],
    ['POST', /^\/v1\/sessions\/reset$/, () => [200, { reset: r.sessions.length > 0, session: r.sessions[0] ?? null }]],
    ['GET', /^\/v1\/memories$/, (_, req) => [200, {
      memories: r.memories.filter((m) => owned(req.query.contact, m.contactId) && (req.query.q === undefined || m.content.includes(req.query.q))),
    }]],
    ['POST', /^\/v1\/memories$/, (_, req) => {
      const body = MemoryBody.parse(req.body);
      return [201, { memory: fakeMemory({ content: body.content, contactId: body.contact ?? null, visibility: body.visibility ?? 'private' }) }];
    }],
    ['DELETE', /^\/v1\/memories\/([^/]+)$/, ([id]) => found('Memory', id, memory(id), (m) => ({ memory: m }))],
    ['GET', /^\/v1\/memories\/([^/]+)\/history$/, ([id]) => [200, { events: r.memoryEvents.filter((e) => e.memoryId === id) }]],
    ['GET', /^\/v1\/agents$/, () => [200, { agents: r.agents }]],
    ['GET', /^\/v1\/agents\/([^/]+)$/, ([name]) => found('Agent', name, agent(name), (a) => ({ agent: a }))],
    ['POST', /^\/v1\/agents$/, (_, req) => {
      const { name, provider = 'echo', systemPrompt = '', ...config } = AgentCreate.parse(req.body);
      if (agent(name)) return failure(409, 'conflict', `Agent ${name} already exists`);
      const created = fakeAgent({ id: AgentId.parse(randomUUID()), name, provider, systemPrompt, config });
      r.agents.push(created);
      return [201, { agent: created }];
    }],
    ['GET', /^\/v1\/agents\/([^/]+)\/check$/, ([name]) => found('Agent', name, agent(name), (a) => r.checks[a.name] ?? {
      agent: a.name, provider: a.provider, ok: true, detail: 'built in',
    })],
    ['PATCH', /^\/v1\/agents\/([^/]+)$/, ([name], req) => found('Agent', name, agent(name), (a) => ({ agent: patchAgent(a, AgentPatch.parse(req.body)) }))],
    ['GET', /^\/v1\/channels$/, () => [200, { accounts: r.channels }]],
    ['GET', /^\/v1\/gateway\/accounts$/, () => [200, { accounts: r.channels.map((account) => ({ ...account, token: null })) }]],
    ['POST', /^\/v1\/channels$/, (_, req) => {
      const input = ChannelAccountCreate.parse(req.body);
      const accountId = input.accountId ?? (input.channel === 'whatsapp' ? 'default' : (input.token ?? '').split(':')[0] ?? '');
      if (r.channels.some((a) => a.channel === input.channel && a.accountId === accountId)) return failure(409, 'conflict', `Channel account ${input.channel}:${accountId} already exists`);
      const account = { channel: input.channel, accountId, agent: input.agent ?? 'default', apiRoot: input.apiRoot ?? null, createdAt: CREATED };
      r.channels.push(account);
      return [201, { account }];
    }],
    ['DELETE', /^\/v1\/channels\/([^/]+)\/([^/]+)$/, ([channel, accountId]) => {
      const index = r.channels.findIndex((a) => a.channel === channel && a.accountId === accountId);
      if (index < 0) return failure(404, 'not_found', `Channel account ${channel}:${accountId} not found`);
      r.channels.splice(index, 1);
      return [200, { removed: true }];
    }],
    ['GET', /^\/v1\/outbox$/, (_, req) => [200, { items: r.outbox.filter((item) => item.status === (req.query.status ?? 'pending')) }]],
    ['POST', /^\/v1\/outbox\/([^/]+)\/retry$/, ([id]) => {
      const item = r.outbox.find((i) => i.id === id && i.status === 'failed');
      return item ? [200, { item: { ...item, status: 'pending', attempts: 0 } }] : failure(404, 'not_found', `No parked (failed) outbox item ${id}`);
    }],
    ['GET', /^\/v1\/pairing$/, () => [200, { requests: r.pairing }]],
    ['POST', /^\/v1\/pairing\/approve$/, (_, req) => {
      const { code } = ApproveBody.parse(req.body);
      const request = r.pairing.find((p) => p.code === code);
      return request ? [200, { contactId: request.contactId }] : failure(404, 'not_found', 'Pairing code not found');
    }],
  ];
}

function patchAgent(agent: Agent, patch: AgentPatch): Agent {
  const { provider, systemPrompt, ...policy } = patch;
  return { ...agent, provider: provider ?? agent.provider, systemPrompt: systemPrompt ?? agent.systemPrompt, config: { ...agent.config, ...policy } };
}

const CREATED = new Date('2026-05-01T12:00:00Z');

export function fakeContact(fields: Partial<Contact> = {}): Contact {
  return {
    id: ContactId.parse(randomUUID()), kind: 'person', displayName: null, mergedInto: null, access: 'default',
    identities: [{ channel: 'telegram', externalId: '123' }], createdAt: CREATED, ...fields,
  };
}

export function fakeMemory(fields: Partial<Memory> = {}): Memory {
  return {
    id: MemoryId.parse(randomUUID()), contactId: null, authorContactId: null, visibility: 'private', content: 'likes tea',
    createdAt: CREATED, updatedAt: CREATED, ...fields,
  };
}

export function fakeSession(fields: Partial<Session> = {}): Session {
  return {
    id: SessionId.parse(randomUUID()), agentId: fakeAgent().id, contactId: null, threadKey: '', provider: 'echo',
    providerSessionId: null, status: 'open', createdAt: CREATED, closedAt: null, ...fields,
  };
}

const DEFAULT_AGENT_ID = AgentId.parse('00000000-0000-4000-8000-000000000001');

export function fakeAgent(fields: Partial<Agent> = {}): Agent {
  return { id: DEFAULT_AGENT_ID, name: 'default', provider: 'echo', systemPrompt: '', config: {}, ...fields };
}
