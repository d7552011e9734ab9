import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { MAX_MESSAGE_TEXT } from '@switchboard/shared';
import { describeEachServer, type TestServer } from '../../../../test/server-harness';

type IssuePath = (string | number)[];

/** One malformed request and the error it must get. */
interface BadRequest {
  name: string;
  method?: string;
  path?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is (wins over `body`). */
  raw?: string;
  contentType?: string;
  /** Who sends it: the owner unless told. */
  as?: 'gateway';
  status: number;
  code: string;
  /** The path of a zod issue `details` must name. */
  issue?: IssuePath;
}

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

const UNKNOWN_ID = '6f1c2a8e-3b4d-4e5f-9a0b-1c2d3e4f5a6b';
const SQL_DROP = "'; drop table contacts; --";

/** A valid Telegram DM; the cases below break it one way at a time. */
const valid = { channel: 'telegram', sender: { id: 'bad-input-sender', displayName: 'Ana' }, messageId: 'bad-input-1', text: 'hello' };
const withMessage = (patch: Record<string, unknown>) => ({ ...valid, ...patch });
const withSender = (patch: Record<string, unknown>) => withMessage({ sender: { ...valid.sender, ...patch } });
const without = (key: keyof typeof valid) => Object.fromEntries(Object.entries(valid).filter(([name]) => name !== key));

const inboundCases: BadRequest[] = [
  { name: 'malformed JSON', raw: '{"channel": "telegram",', status: 400, code: 'invalid_input' },
  { name: 'JSON with unquoted keys', raw: '{channel: telegram}', status: 400, code: 'invalid_input' },
  { name: 'streaming without waiting', path: '/v1/inbound?stream=true', body: valid, status: 400, code: 'invalid_input', issue: ['stream'] },
  { name: 'a JSON array', raw: '[]', status: 400, code: 'invalid_input', issue: [] },
  { name: 'an array of messages', body: [valid], status: 400, code: 'invalid_input', issue: [] },
  { name: 'a JSON string', raw: '"hello"', status: 400, code: 'invalid_input' },
  { name: 'JSON null', raw: 'null', status: 400, code: 'invalid_input' },
  { name: 'an empty body', raw: '', status: 400, code: 'invalid_input' },
  { name: 'JSON sent as text/plain', raw: JSON.stringify(valid), contentType: 'text/plain', status: 400, code: 'invalid_input' },
  { name: 'no channel', body: without('channel'), status: 400, code: 'invalid_input', issue: ['channel'] },
  { name: 'no messageId', body: without('messageId'), status: 400, code: 'invalid_input', issue: ['messageId'] },
  { name: 'no text', body: without('text'), status: 400, code: 'invalid_input', issue: ['text'] },
  { name: 'no sender on telegram', body: without('sender'), status: 400, code: 'invalid_input', issue: ['sender'] },
  { name: 'a cli chat without sender', body: withMessage({ channel: 'cli', sender: undefined, chat: { id: 'x', type: 'group' } }),
    status: 400, code: 'invalid_input', issue: ['sender'] },
  { name: 'an unknown top-level field', body: withMessage({ tenantId: UNKNOWN_ID }), status: 400, code: 'invalid_input', issue: [] },
  { name: 'an unknown field in sender', body: withSender({ isOwner: true }), status: 400, code: 'invalid_input', issue: ['sender'] },
  { name: 'an unknown field in chat', body: withMessage({ chat: { id: 'bad-input-sender', type: 'direct', topic: 'x' } }),
    status: 400, code: 'invalid_input', issue: ['chat'] },
  { name: 'an unknown field in thread', body: withMessage({ thread: { id: '1', parent: '0' } }), status: 400, code: 'invalid_input', issue: ['thread'] },
  { name: 'a number as text', body: withMessage({ text: 42 }), status: 400, code: 'invalid_input', issue: ['text'] },
  { name: 'a string as mentioned', body: withMessage({ mentioned: 'true' }), status: 400, code: 'invalid_input', issue: ['mentioned'] },
  { name: 'an object as messageId', body: withMessage({ messageId: { id: 1 } }), status: 400, code: 'invalid_input', issue: ['messageId'] },
  { name: 'a number as sender id', body: withSender({ id: 123 }), status: 400, code: 'invalid_input', issue: ['sender', 'id'] },
  { name: 'an empty text', body: withMessage({ text: '' }), status: 400, code: 'invalid_input', issue: ['text'] },
  { name: 'an empty messageId', body: withMessage({ messageId: '' }), status: 400, code: 'invalid_input', issue: ['messageId'] },
  { name: 'a whitespace-only display name', body: withSender({ displayName: ' \t\n ' }), status: 400, code: 'invalid_input',
    issue: ['sender', 'displayName'] },
  { name: 'a sender id with spaces', body: withSender({ id: ' 123 ' }), status: 400, code: 'invalid_input', issue: ['sender', 'id'] },
  { name: 'SQL with spaces as sender id', body: withSender({ id: SQL_DROP }), status: 400, code: 'invalid_input', issue: ['sender', 'id'] },
  { name: 'a text one over the maximum', body: withMessage({ text: 'a'.repeat(MAX_MESSAGE_TEXT + 1) }), status: 400, code: 'invalid_input',
    issue: ['text'] },
  { name: 'a 1 MB body', raw: JSON.stringify(withMessage({ text: 'a'.repeat(1024 * 1024) })), status: 413, code: 'payload_too_large' },
  { name: 'an unknown channel', body: withMessage({ channel: 'fax' }), status: 400, code: 'invalid_input', issue: ['channel'] },
  { name: 'an unknown chat type', body: withMessage({ chat: { id: 'bad-input-sender', type: 'channel' } }), status: 400,
    code: 'invalid_input', issue: ['chat', 'type'] },
  { name: 'an invalid agent name', body: withMessage({ agent: 'Bad Agent!' }), status: 400, code: 'invalid_input', issue: ['agent'] },
  { name: 'an unknown agent', body: withMessage({ agent: 'nosuch' }), status: 404, code: 'not_found' },
  { name: 'a direct chat whose id is not the sender', body: withMessage({ chat: { id: 'someone-else', type: 'direct' } }),
    status: 400, code: 'invalid_input', issue: ['chat', 'id'] },
  // Channel cli has no accounts: the gateway token, which speaks for accounts, cannot reach the owner's chat.
  { name: "the owner's own chat from the gateway", body: { channel: 'cli', messageId: 'bad-input-2', text: 'hi' }, as: 'gateway',
    status: 404, code: 'not_found' },
  { name: 'NUL in text', raw: '{"channel":"telegram","sender":{"id":"bad-input-sender"},"messageId":"bad-input-1","text":"a\\u0000b"}',
    status: 400, code: 'invalid_input', issue: ['text'] },
  { name: 'NUL in the display name', body: withSender({ displayName: 'An\u0000a' }), status: 400, code: 'invalid_input',
    issue: ['sender', 'displayName'] },
  { name: 'NUL in the thread id', body: withMessage({ thread: { id: '4\u00002' } }), status: 400, code: 'invalid_input', issue: ['thread', 'id'] },
  { name: 'NUL in messageId', body: withMessage({ messageId: 'm\u0000' }), status: 400, code: 'invalid_input', issue: ['messageId'] },
  { name: 'an account id with spaces', body: withMessage({ accountId: 'my bot' }), status: 400, code: 'invalid_input', issue: ['accountId'] },
  { name: 'an unknown wait value', path: '/v1/inbound?wait=maybe', body: valid, status: 400, code: 'invalid_input', issue: ['wait'] },
  { name: 'wait given twice', path: '/v1/inbound?wait=true&wait=true', body: valid, status: 400, code: 'invalid_input', issue: ['wait'] },
  { name: 'an unknown query parameter', path: '/v1/inbound?foo=1', body: valid, status: 400, code: 'invalid_input', issue: [] },
];

const otherRouteCases: BadRequest[] = [
  { name: 'memories: malformed JSON', path: '/v1/memories', raw: '{"content":', status: 400, code: 'invalid_input' },
  { name: 'memories: no content', path: '/v1/memories', body: {}, status: 400, code: 'invalid_input', issue: ['content'] },
  { name: 'memories: whitespace-only content', path: '/v1/memories', body: { content: ' \n\t ' }, status: 400, code: 'invalid_input',
    issue: ['content'] },
  { name: 'memories: NUL in content', path: '/v1/memories', body: { content: 'a\u0000b' }, status: 400, code: 'invalid_input', issue: ['content'] },
  { name: 'memories: content over 8000 characters', path: '/v1/memories', body: { content: 'a'.repeat(8001) }, status: 400,
    code: 'invalid_input', issue: ['content'] },
  { name: 'memories: an unknown visibility', path: '/v1/memories', body: { content: 'x', visibility: 'public' }, status: 400,
    code: 'invalid_input', issue: ['visibility'] },
  { name: 'memories: a contact that is not a uuid', path: '/v1/memories', body: { content: 'x', contact: 'not-a-uuid' }, status: 400,
    code: 'invalid_input', issue: ['contact'] },
  { name: 'memories: a tenant in the body', path: '/v1/memories', body: { content: 'x', tenantId: UNKNOWN_ID }, status: 400,
    code: 'invalid_input', issue: [] },
  { name: 'memories: an unknown contact', path: '/v1/memories', body: { content: 'x', contact: UNKNOWN_ID }, status: 404, code: 'not_found' },
  { name: 'memories: an unknown query parameter', method: 'GET', path: '/v1/memories?foo=1', status: 400, code: 'invalid_input', issue: [] },
  { name: 'memories: a bad contact filter', method: 'GET', path: '/v1/memories?contact=someone', status: 400, code: 'invalid_input',
    issue: ['contact'] },
  { name: 'memories: a zero limit', method: 'GET', path: '/v1/memories?limit=0', status: 400, code: 'invalid_input', issue: ['limit'] },
  { name: 'memories: a non-uuid id', method: 'GET', path: '/v1/memories/not-a-uuid', status: 400, code: 'invalid_input' },
  { name: 'memories: an unknown id', method: 'GET', path: `/v1/memories/${UNKNOWN_ID}`, status: 404, code: 'not_found' },
  { name: 'memories: an unknown id to delete', method: 'DELETE', path: `/v1/memories/${UNKNOWN_ID}`, status: 404, code: 'not_found' },
  { name: 'memories: history of an unknown id', method: 'GET', path: `/v1/memories/${UNKNOWN_ID}/history`, status: 404, code: 'not_found' },
  { name: 'memories: a patch that changes nothing', method: 'PATCH', path: `/v1/memories/${UNKNOWN_ID}`, body: {}, status: 400,
    code: 'invalid_input' },
  { name: 'contacts: a non-uuid id', method: 'GET', path: '/v1/contacts/not-a-uuid', status: 400, code: 'invalid_input' },
  { name: 'contacts: an unknown id', method: 'GET', path: `/v1/contacts/${UNKNOWN_ID}`, status: 404, code: 'not_found' },
  { name: 'contacts: an unknown access', method: 'PATCH', path: `/v1/contacts/${UNKNOWN_ID}`, body: { access: 'vip' }, status: 400,
    code: 'invalid_input', issue: ['access'] },
  { name: 'contacts: blocking an unknown id', method: 'PATCH', path: `/v1/contacts/${UNKNOWN_ID}`, body: { access: 'blocked' }, status: 404,
    code: 'not_found' },
  { name: 'contacts: erasing a non-uuid id', method: 'DELETE', path: '/v1/contacts/not-a-uuid', status: 400, code: 'invalid_input' },
  { name: 'contacts: erasing an unknown id', method: 'DELETE', path: `/v1/contacts/${UNKNOWN_ID}`, status: 404, code: 'not_found' },
  { name: 'resolve: malformed JSON', path: '/v1/contacts/resolve', raw: '{', status: 400, code: 'invalid_input' },
  { name: 'resolve: an unknown channel', path: '/v1/contacts/resolve', body: { channel: 'fax', externalId: '1' }, status: 400,
    code: 'invalid_input', issue: ['channel'] },
  { name: 'resolve: no external id', path: '/v1/contacts/resolve', body: { channel: 'telegram' }, status: 400, code: 'invalid_input',
    issue: ['externalId'] },
  { name: 'resolve: SQL with spaces as external id', path: '/v1/contacts/resolve', body: { channel: 'telegram', externalId: SQL_DROP },
    status: 400, code: 'invalid_input', issue: ['externalId'] },
  { name: 'resolve: an unknown kind', path: '/v1/contacts/resolve', body: { channel: 'telegram', externalId: '1', kind: 'robot' },
    status: 400, code: 'invalid_input', issue: ['kind'] },
  { name: 'resolve: a whitespace-only display name', path: '/v1/contacts/resolve',
    body: { channel: 'telegram', externalId: '1', displayName: '   ' }, status: 400, code: 'invalid_input', issue: ['displayName'] },
  { name: 'resolve: an unknown field', path: '/v1/contacts/resolve', body: { channel: 'telegram', externalId: '1', tenant: 'other' },
    status: 400, code: 'invalid_input', issue: [] },
  { name: 'sessions: reset without contact', path: '/v1/sessions/reset', body: {}, status: 400, code: 'invalid_input', issue: ['contact'] },
  { name: 'sessions: reset of a bad contact', path: '/v1/sessions/reset', body: { contact: 'everyone' }, status: 400, code: 'invalid_input',
    issue: ['contact'] },
  { name: 'sessions: reset with NUL in thread', path: '/v1/sessions/reset', body: { contact: 'owner', thread: 'a\u0000' }, status: 400,
    code: 'invalid_input', issue: ['thread'] },
  { name: 'sessions: reset with an unknown field', path: '/v1/sessions/reset', body: { contact: 'owner', all: true }, status: 400,
    code: 'invalid_input', issue: [] },
  { name: 'sessions: reset of an unknown agent', path: '/v1/sessions/reset', body: { contact: 'owner', agent: 'nosuch' }, status: 404,
    code: 'not_found' },
  { name: 'sessions: a bad contact filter', method: 'GET', path: '/v1/sessions?contact=someone', status: 400, code: 'invalid_input',
    issue: ['contact'] },
  { name: 'sessions: messages of a non-uuid id', method: 'GET', path: '/v1/sessions/not-a-uuid/messages', status: 400, code: 'invalid_input' },
  { name: 'sessions: messages of an unknown id', method: 'GET', path: `/v1/sessions/${UNKNOWN_ID}/messages`, status: 404, code: 'not_found' },
  { name: 'agents: an unknown provider', method: 'PATCH', path: '/v1/agents/default', body: { provider: 'gpt' }, status: 400,
    code: 'invalid_input', issue: ['provider'] },
  { name: 'agents: an unknown DM policy', method: 'PATCH', path: '/v1/agents/default', body: { dmPolicy: 'closed' }, status: 400,
    code: 'invalid_input', issue: ['dmPolicy'] },
  { name: 'agents: a zero burst', method: 'PATCH', path: '/v1/agents/default', body: { rateLimit: { burst: 0, perMinute: 1 } }, status: 400,
    code: 'invalid_input', issue: ['rateLimit', 'burst'] },
  { name: 'agents: an unknown rate limit field', method: 'PATCH', path: '/v1/agents/default',
    body: { rateLimit: { burst: 1, perMinute: 1, window: 60 } }, status: 400, code: 'invalid_input', issue: ['rateLimit'] },
  { name: 'agents: a rename', method: 'PATCH', path: '/v1/agents/default', body: { name: 'renamed' }, status: 400, code: 'invalid_input',
    issue: [] },
  { name: 'agents: a number as system prompt', method: 'PATCH', path: '/v1/agents/default', body: { systemPrompt: 42 }, status: 400,
    code: 'invalid_input', issue: ['systemPrompt'] },
  { name: 'agents: an array as patch', method: 'PATCH', path: '/v1/agents/default', raw: '[]', status: 400, code: 'invalid_input', issue: [] },
  { name: 'agents: patching an unknown agent', method: 'PATCH', path: '/v1/agents/nosuch', body: {}, status: 404, code: 'not_found' },
  { name: 'agents: an invalid agent name', method: 'PATCH', path: '/v1/agents/Bad%20Name', body: {}, status: 400, code: 'invalid_input' },
  { name: 'agents: a session flag among the owner\'s arguments', method: 'PATCH', path: '/v1/agents/default',
    body: { ownerArgs: ['--verbose', '--continue'] }, status: 400, code: 'invalid_input', issue: ['ownerArgs'] },
  { name: 'agents: a resume flag with a value among the owner\'s arguments', method: 'PATCH', path: '/v1/agents/default',
    body: { ownerArgs: ['--resume=abc'] }, status: 400, code: 'invalid_input', issue: ['ownerArgs'] },
  { name: 'agents: a shell line as an owner environment variable', method: 'PATCH', path: '/v1/agents/default',
    body: { ownerEnv: ['HOME; rm -rf /'] }, status: 400, code: 'invalid_input', issue: ['ownerEnv', 0] },
  { name: 'agents: an unknown memory mode', method: 'PATCH', path: '/v1/agents/default', body: { memory: 'sometimes' }, status: 400,
    code: 'invalid_input', issue: ['memory'] },
  { name: 'agents: an unknown reset mode', method: 'PATCH', path: '/v1/agents/default', body: { reset: 'merge' }, status: 400,
    code: 'invalid_input', issue: ['reset'] },
  { name: 'agents: creating one without a name', path: '/v1/agents', body: { provider: 'echo' }, status: 400, code: 'invalid_input',
    issue: ['name'] },
  { name: 'agents: creating one with an invalid name', path: '/v1/agents', body: { name: '../etc' }, status: 400, code: 'invalid_input',
    issue: ['name'] },
  { name: 'agents: creating one that exists', path: '/v1/agents', body: { name: 'default' }, status: 409, code: 'conflict' },
  { name: 'agents: creating one with an unknown field', path: '/v1/agents', body: { name: 'fresh', owner: 'me' }, status: 400,
    code: 'invalid_input', issue: [] },
  { name: 'agents: checking an unknown agent', method: 'GET', path: '/v1/agents/nosuch/check', status: 404, code: 'not_found' },
  { name: 'agents: showing an unknown agent', method: 'GET', path: '/v1/agents/nosuch', status: 404, code: 'not_found' },
  { name: 'pairing: no code', path: '/v1/pairing/approve', body: {}, status: 400, code: 'invalid_input', issue: ['code'] },
  { name: 'pairing: a short code', path: '/v1/pairing/approve', body: { code: 'ab' }, status: 400, code: 'invalid_input', issue: ['code'] },
  { name: 'pairing: SQL as code', path: '/v1/pairing/approve', body: { code: SQL_DROP }, status: 400, code: 'invalid_input', issue: ['code'] },
  { name: 'pairing: an unknown code', path: '/v1/pairing/approve', body: { code: 'ZZZZ9999' }, status: 404, code: 'not_found' },
  { name: 'outbox: an unknown channel', method: 'GET', path: '/v1/outbox?channel=fax', status: 400, code: 'invalid_input', issue: ['channel'] },
  { name: 'outbox: an unknown status', method: 'GET', path: '/v1/outbox?status=gone', status: 400, code: 'invalid_input', issue: ['status'] },
  { name: 'outbox: a claim for an unknown channel', path: '/v1/outbox/claim', body: { channel: 'fax', account: 'x' }, status: 400,
    code: 'invalid_input', issue: ['channel'] },
  { name: 'outbox: a claim of zero items', path: '/v1/outbox/claim', body: { channel: 'telegram', account: 'x', limit: 0 }, status: 400,
    code: 'invalid_input', issue: ['limit'] },
  { name: 'outbox: a claim waiting a minute', path: '/v1/outbox/claim', body: { channel: 'telegram', account: 'x', waitMs: 60_000 },
    status: 400, code: 'invalid_input', issue: ['waitMs'] },
  { name: 'outbox: a failure without an error', path: `/v1/outbox/${UNKNOWN_ID}/fail`, body: {}, status: 400, code: 'invalid_input',
    issue: ['error'] },
  { name: 'outbox: failing an unknown id', path: `/v1/outbox/${UNKNOWN_ID}/fail`, body: { error: 'x' }, status: 404, code: 'not_found' },
  { name: 'outbox: retrying an unknown id', path: `/v1/outbox/${UNKNOWN_ID}/retry`, status: 404, code: 'not_found' },
  { name: 'channels: an unknown channel', path: '/v1/channels', body: { channel: 'fax', token: 'x' }, status: 400, code: 'invalid_input',
    issue: ['channel'] },
  { name: 'channels: a token with spaces', path: '/v1/channels', body: { channel: 'telegram', token: '123:abc def' }, status: 400,
    code: 'invalid_input', issue: ['token'] },
  { name: 'channels: an api root that is not http', path: '/v1/channels', body: { channel: 'telegram', token: '1:aaaaaaaaaaaa', apiRoot: 'file:///etc' },
    status: 400, code: 'invalid_input', issue: ['apiRoot'] },
  { name: 'channels: state that is not an object', path: '/v1/channels/whatsapp/default/state', body: { set: [1, 2] }, status: 400,
    code: 'invalid_input', issue: ['set'] },
  { name: 'channels: state of an unknown channel', method: 'GET', path: '/v1/channels/fax/default/state', status: 400, code: 'invalid_input' },
  { name: 'channels: removing an unknown account', method: 'DELETE', path: '/v1/channels/telegram/999', status: 404, code: 'not_found' },
  { name: 'outbox: acking a non-uuid id', path: '/v1/outbox/not-a-uuid/ack', status: 400, code: 'invalid_input' },
  { name: 'outbox: acking an unknown id', path: `/v1/outbox/${UNKNOWN_ID}/ack`, status: 404, code: 'not_found' },
];

const routeCases: BadRequest[] = [
  { name: 'an unknown /v1 route', method: 'GET', path: '/v1/nothing', status: 404, code: 'not_found' },
  { name: 'an unknown top-level route', method: 'GET', path: '/nothing', status: 404, code: 'not_found' },
  { name: 'the bare /v1 prefix', method: 'GET', path: '/v1', status: 404, code: 'not_found' },
  { name: 'GET on inbound', method: 'GET', path: '/v1/inbound', status: 404, code: 'not_found' },
  { name: 'DELETE on an agent', method: 'DELETE', path: '/v1/agents/default', status: 404, code: 'not_found' },
  { name: 'PUT on memories', method: 'PUT', path: '/v1/memories', body: { content: 'x' }, status: 404, code: 'not_found' },
  { name: 'POST on contacts', method: 'POST', path: '/v1/contacts', body: {}, status: 404, code: 'not_found' },
  { name: 'POST on healthz', method: 'POST', path: '/healthz', body: {}, status: 404, code: 'not_found' },
];

function send(server: TestServer, request: BadRequest): Promise<Response> {
  const { method = 'POST', path = '/v1/inbound', raw, body, contentType = 'application/json' } = request;
  const payload = raw ?? (body === undefined ? undefined : JSON.stringify(body));
  return server.fetch(path, {
    method,
    ...(payload === undefined ? {} : { body: payload, headers: { 'content-type': contentType } }),
    ...(request.as === 'gateway' ? { token: server.gatewayToken } : {}),
  });
}

async function expectError(response: Response, expected: Pick<BadRequest, 'status' | 'code' | 'issue'>): Promise<void> {
  const body = (await response.json()) as ErrorBody;
  expect({ status: response.status, code: body.error?.code }).toEqual({ status: expected.status, code: expected.code });
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(Object.keys(body)).toEqual(['error']);
  expect(['code', 'message', 'details']).toEqual(expect.arrayContaining(Object.keys(body.error)));
  expect(body.error.message).toMatch(/\S/);
  expect(body.error.message).not.toMatch(/\n\s+at /);
  const { details } = body.error;
  if (details !== undefined) {
    expect(details).toEqual(expect.arrayContaining([expect.objectContaining({ code: expect.any(String), path: expect.any(Array), message: expect.any(String) })]));
  }
  if (expected.issue) {
    expect(details).toEqual(expect.arrayContaining([expect.objectContaining({ path: expected.issue, message: expect.any(String) })]));
  }
}

/** Row counts of the tables a rejected request must not touch. */
async function countRows(server: TestServer): Promise<Record<string, number>> {
  const [row] = await server.admin<Record<string, number>>(
    `select (select count(*)::int from inbound_events) as inbound_events, (select count(*)::int from contacts) as contacts,
            (select count(*)::int from contact_identities) as contact_identities, (select count(*)::int from memories) as memories,
            (select count(*)::int from sessions) as sessions, (select count(*)::int from outbox) as outbox,
            (select count(*)::int from pairing_requests) as pairing_requests`,
  );
  return row ?? {};
}

describeEachServer('bad input over HTTP', (server) => {
  describe('rejected requests', () => {
    let before: Record<string, number>;
    let agentBefore: unknown;

    beforeAll(async () => {
      before = await countRows(server);
      agentBefore = await (await server.fetch('/v1/agents/default')).json();
    });

    it.each(inboundCases)('POST /v1/inbound answers $status $code to $name', async (request) => {
      await expectError(await send(server, request), request);
    });

    it.each(otherRouteCases)('answers $status $code to $name', async (request) => {
      await expectError(await send(server, request), request);
    });

    it.each(routeCases)('answers 404 to $name', async (request) => {
      await expectError(await send(server, request), request);
    });

    it('left no rows behind and the agent unchanged', async () => {
      expect(await countRows(server)).toEqual(before);
      expect(await (await server.fetch('/v1/agents/default')).json()).toEqual(agentBefore);
    });

    it('still answers health checks and valid messages afterwards', async () => {
      expect(await server.client().health()).toEqual({ ok: true });
      const reply = await server.client().inbound(
        { channel: 'telegram', sender: { id: `alive-${randomUUID()}` }, messageId: randomUUID(), text: 'still here' },
        { wait: true },
      );
      expect(reply).toMatchObject({ status: 'done', reply: { text: 'echo: still here' } });
    });
  });

  describe('input the database cannot take, answered 4xx with nothing stored', () => {
    const WHATSAPP = '/v1/channels/whatsapp/bad-input-wa/state';
    let before: Record<string, number>;
    let agentBefore: unknown;
    let outboxId: string;
    let outboxBefore: unknown;

    /** The tables above, channel state, the default agent and one outbox item, as they are now. */
    async function snapshot() {
      const [item] = await server.admin('select status, attempts, last_error from outbox where id = $1', [outboxId]);
      const [state] = await server.admin<{ rows: number }>('select count(*)::int as rows from channel_state');
      return { rows: await countRows(server), state: state?.rows, item, agent: await (await server.fetch('/v1/agents/default')).json() };
    }

    beforeAll(async () => {
      await server.client().channels.add({ channel: 'whatsapp', accountId: 'bad-input-wa' });
      expect((await server.fetch(WHATSAPP, { method: 'POST', body: '{"set":{"kept":"v"}}', headers: { 'content-type': 'application/json' } })).status).toBe(200);
      const answered = await server.client().inbound({ channel: 'telegram', sender: { id: `outbox-${randomUUID()}` }, messageId: randomUUID(), text: 'x' }, { wait: true });
      const [item] = await server.admin<{ id: string }>('select id from outbox where event_id = $1', [answered.eventId]);
      if (!item) throw new Error('the reply was not queued for delivery');
      outboxId = item.id;
      const taken = await snapshot();
      before = taken.rows;
      agentBefore = taken.agent;
      outboxBefore = taken.item;
    });

    const json = { 'content-type': 'application/json' };
    const cases: (BadRequest & { headers?: Record<string, string>; bytes?: Buffer })[] = [
      { name: 'a body that is not gzip with content-encoding gzip', path: '/v1/memories', bytes: Buffer.from('{"content":"not gzip"}'),
        headers: { ...json, 'content-encoding': 'gzip' }, status: 400, code: 'invalid_input' },
      { name: 'a cut-off gzip body', path: '/v1/memories', bytes: gzipSync('{"content":"cut"}').subarray(0, 12),
        headers: { ...json, 'content-encoding': 'gzip' }, status: 400, code: 'invalid_input' },
      { name: 'a body that is not brotli with content-encoding br', path: '/v1/memories', bytes: Buffer.from('not brotli'),
        headers: { ...json, 'content-encoding': 'br' }, status: 400, code: 'invalid_input' },
      { name: 'NUL in a memory search', method: 'GET', path: '/v1/memories?q=%00', status: 400, code: 'invalid_input', issue: ['q'] },
      { name: 'NUL in a query parameter name', method: 'GET', path: '/v1/memories?q%00=x', status: 400, code: 'invalid_input' },
      { name: 'a malformed % escape in a memory id', method: 'GET', path: '/v1/memories/%E0%A4%A', status: 400, code: 'invalid_input' },
      { name: 'a bare % in an agent name', method: 'PATCH', path: '/v1/agents/%zz', body: { model: 'm' }, status: 400, code: 'invalid_input' },
      { name: 'a % escape of invalid UTF-8 in a contact id', method: 'DELETE', path: '/v1/contacts/%FF', status: 400, code: 'invalid_input' },
      { name: 'NUL in a path segment', method: 'GET', path: '/v1/sessions/a%00b/messages', status: 400, code: 'invalid_input' },
      { name: "NUL in an agent's system prompt", method: 'PATCH', path: '/v1/agents/default', body: { systemPrompt: 'be\u0000nice' }, status: 400,
        code: 'invalid_input', issue: ['systemPrompt'] },
      { name: "NUL in an agent's model", method: 'PATCH', path: '/v1/agents/default', body: { model: 'gpt\u0000' }, status: 400,
        code: 'invalid_input', issue: ['model'] },
      { name: "a lone surrogate in a new agent's system prompt", path: '/v1/agents', raw: '{"name":"surrogate","systemPrompt":"a\\ud800"}',
        status: 400, code: 'invalid_input', issue: ['systemPrompt'] },
      { name: 'NUL in the channel state', path: WHATSAPP, body: { set: { creds: 'a\u0000b' } }, status: 400, code: 'invalid_input', issue: ['set', 'creds'] },
      { name: 'a lone surrogate in the channel state', path: WHATSAPP, raw: '{"set":{"creds":{"key":"\\udc00"}}}', status: 400, code: 'invalid_input',
        issue: ['set', 'creds', 'key'] },
      { name: 'NUL in a key inside the channel state', path: WHATSAPP, raw: '{"set":{"creds":{"a\\u0000":1}}}', status: 400, code: 'invalid_input',
        issue: ['set', 'creds', 'a\u0000'] },
      { name: 'a channel state nested 10000 deep', path: WHATSAPP, raw: `{"set":{"creds":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`, status: 400,
        code: 'invalid_input' },
    ];

    it.each(cases)('answers $status $code to $name', async (request) => {
      const response = request.bytes
        ? await server.fetch(request.path ?? '/', { method: request.method ?? 'POST', body: request.bytes, headers: request.headers })
        : await send(server, request);
      await expectError(response, request);
    });

    it('answers 400 to NUL in an outbox failure\'s error text and leaves the item as it was', async () => {
      const response = await send(server, { name: '', path: `/v1/outbox/${outboxId}/fail`, body: { error: 'socket\u0000closed' }, status: 400, code: '' });
      await expectError(response, { status: 400, code: 'invalid_input', issue: ['error'] });
    });

    it('left no row, state, agent setting or outbox item changed', async () => {
      const after = await snapshot();
      expect(after).toEqual({ rows: before, state: 1, item: outboxBefore, agent: agentBefore });
      expect(await (await server.fetch(WHATSAPP)).json()).toEqual({ entries: { kept: 'v' } });
    });

    it('answers an echo remember longer than a memory may be with a refusal, no database text, and no memory', async () => {
      const sender = `long-${randomUUID()}`;
      const answered = await server.client().inbound(
        { channel: 'telegram', sender: { id: sender }, messageId: randomUUID(), text: `remember ${'m'.repeat(8001)}` }, { wait: true },
      );
      expect(answered.status).toBe('done');
      expect(answered.reply?.text).toMatch(/^not remembered: A memory must be 1 to 8000 characters/);
      expect(answered.reply?.text).not.toMatch(/constraint|violates|relation|memories_content/);
      expect(await server.admin('select 1 from memories where contact_id = $1', [answered.contactId])).toEqual([]);
    });
  });

  describe('odd but valid input', () => {
    /** Posts raw JSON to /v1/inbound?wait=true and returns the status and body. */
    async function postRaw(json: string): Promise<{ status: number; body: Record<string, unknown> }> {
      const response = await server.fetch('/v1/inbound?wait=true', { method: 'POST', body: json, headers: { 'content-type': 'application/json' } });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    }

    /** The stored inbound event, the sender's contact and the transcript's inbound text for an event. */
    async function storedOf(eventId: string) {
      const [event] = await server.admin<{ text: string; thread_key: string; platform_message_id: string; account_key: string;
        chat_id: string; session_id: string | null; sender_contact_id: string }>(
        'select text, thread_key, platform_message_id, account_key, chat_id, session_id, sender_contact_id from inbound_events where id = $1',
        [eventId],
      );
      if (!event) throw new Error(`no inbound event ${eventId}`);
      const [sender] = await server.admin<{ display_name: string | null; external_ids: string[] }>(
        `select c.display_name, array_agg(i.external_id order by i.external_id) as external_ids
         from contacts c join contact_identities i on i.contact_id = c.id where c.id = $1 group by c.id`,
        [event.sender_contact_id],
      );
      const [transcript] = await server.admin<{ text: string }>(
        `select text from messages where session_id = $1 and direction = 'inbound' and platform_message_id = $2`,
        [event.session_id, event.platform_message_id],
      );
      return { event, sender, transcriptText: transcript?.text };
    }

    it.each([
      ['letters', 'a'.repeat(MAX_MESSAGE_TEXT)],
      ['control characters JSON escapes six-fold', '\u0001'.repeat(MAX_MESSAGE_TEXT)],
      ['astral emoji', '😀'.repeat(MAX_MESSAGE_TEXT / 2)],
    ])('accepts a text of exactly the maximum length in %s and stores it whole', async (_kind, text) => {
      const messageId = randomUUID();
      const { status, body } = await postRaw(JSON.stringify({ channel: 'telegram', sender: { id: `max-${randomUUID()}` }, messageId, text }));
      expect({ status, reply: body.reply }).toEqual({ status: 200, reply: { text: `echo: ${text}` } });
      const stored = await storedOf(body.eventId as string);
      expect(stored.event.text === text && stored.transcriptText === text).toBe(true);
    });

    const unicode: [string, string][] = [
      ['an emoji family joined by zero-width joiners', '👩\u200d👩\u200d👧\u200d👦 and 🇺🇦'],
      ['right-to-left marks and overrides', 'שלום \u200fعالم\u202e reversed\u202c'],
      ['zero-width characters', 'a\u200bb\u200cc\u200dd\u2060e'],
      ['combining characters', 'e\u0301 n\u0303 Z\u0324\u0354\u0367\u0311\u0313'],
      ['a byte-order mark and line separators inside', 'a\ufeffb\u2028c\u2029d'],
      ['control characters and CRLF', 'tab\there\r\nbell\u0007'],
    ];

    it.each(unicode)('stores %s verbatim in text, display name and thread id', async (_kind, sample) => {
      const senderId = `uni-${randomUUID()}`;
      const displayName = `<${sample}>`;
      const { status, body } = await postRaw(JSON.stringify({
        channel: 'telegram', sender: { id: senderId, displayName }, thread: { id: sample }, messageId: randomUUID(), text: sample,
      }));
      expect({ status, reply: body.reply }).toEqual({ status: 200, reply: { text: `echo: ${sample}` } });
      const { event, sender, transcriptText } = await storedOf(body.eventId as string);
      expect({ text: event.text, thread: event.thread_key, transcriptText, displayName: sender?.display_name })
        .toEqual({ text: sample, thread: sample, transcriptText: sample, displayName });
    });

    it('rejects lone surrogates or stores them as U+FFFD, never failing', async () => {
      const senderId = `lone-${randomUUID()}`;
      // Written into the JSON text itself: JSON.stringify would never produce them unescaped.
      const json = `{"channel":"telegram","sender":{"id":"${senderId}","displayName":"A\\ud800na"},`
        + `"thread":{"id":"t\\udc00"},"messageId":"${randomUUID()}","text":"x\\ud800y\\udfffz"}`;
      const { status, body } = await postRaw(json);
      expect([200, 400]).toContain(status);
      if (status === 400) {
        expect(body).toMatchObject({ error: { code: 'invalid_input' } });
        expect(await server.admin('select 1 from contact_identities where external_id = $1', [senderId])).toEqual([]);
        return;
      }
      const { event, sender, transcriptText } = await storedOf(body.eventId as string);
      expect({ text: event.text, thread: event.thread_key, transcriptText, displayName: sender?.display_name })
        .toEqual({ text: 'x\ufffdy\ufffdz', thread: 't\ufffd', transcriptText: 'x\ufffdy\ufffdz', displayName: 'A\ufffdna' });
    });

    const sqlText = [SQL_DROP, "1' or '1'='1", "Robert'); DROP TABLE messages;--", "\\'; select pg_sleep(5); --", '$1 $2 %s %', '"; delete from memories; --'];
    const sqlIds = ["1'or'1'='1", "';drop/**/table/**/contacts;--", "$1'||'", '"--;\\'];

    it.each(sqlText.map((text, index) => [text, sqlIds[index % sqlIds.length] ?? '']))(
      'stores SQL-looking %j verbatim in every string field',
      async (text, idLike) => {
        const suffix = randomUUID().slice(0, 8);
        const senderId = `${idLike}${suffix}`;
        const groupId = `${idLike}g${suffix}`;
        const accountId = `${idLike}a`;
        const message = {
          channel: 'telegram', accountId, chat: { id: groupId, type: 'group' }, sender: { id: senderId, displayName: text },
          thread: { id: text }, messageId: `${text}${suffix}`, text, mentioned: true,
        };
        const { status, body } = await postRaw(JSON.stringify(message));
        expect({ status, reply: body.reply }).toEqual({ status: 200, reply: { text: `echo: ${text}` } });
        const { event, sender, transcriptText } = await storedOf(body.eventId as string);
        expect({
          text: event.text, thread: event.thread_key, messageId: event.platform_message_id, account: event.account_key,
          chat: event.chat_id, transcriptText, displayName: sender?.display_name, senderIds: sender?.external_ids,
        }).toEqual({
          text, thread: text, messageId: message.messageId, account: accountId, chat: groupId, transcriptText: text, displayName: text,
          senderIds: [senderId],
        });
        const [tables] = await server.admin<{ tables: number }>(
          `select count(*)::int as tables from pg_tables where tablename in ('contacts', 'messages', 'memories')`,
        );
        expect(tables?.tables).toBe(3);
      },
    );

    it('stores and finds SQL-looking memory content verbatim, and resolves SQL-looking contact names', async () => {
      const content = `${SQL_DROP} 1' or '1'='1 ${randomUUID()}`;
      const decoy = `zebra xylophone ${randomUUID()}`;
      const client = server.client();
      expect((await client.memories.add({ content })).content).toBe(content);
      await client.memories.add({ content: decoy });
      const found = await server.fetch(`/v1/memories?q=${encodeURIComponent("1' or '1'='1")}`);
      const contents = ((await found.json()) as { memories: { content: string }[] }).memories.map((memory) => memory.content);
      expect(contents).toContain(content);
      expect(contents).not.toContain(decoy);
      const contact = await client.contacts.resolve({ channel: 'discord', externalId: `1'or'1'='1${randomUUID()}`, displayName: SQL_DROP });
      expect(contact.displayName).toBe(SQL_DROP);
    });
  });
});
