/**
 * Bad input is a 4xx, always: a seeded, bounded fast-check run sends generated requests to every
 * route of the real server (in-process, with its worker and the echo agent) on each engine, as the
 * owner, the gateway, the installation's admin, and without a valid token. No response may be 5xx, and every error body has
 * the error shape with a message that carries no database text.
 */
import { Agent, request } from 'node:http';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { createServices } from '@switchboard/api';
import { createApp } from '../../packages/api/src/http/create-app';
import { createTurnGrants } from '../../packages/api/src/agents/turn-grants';
import { describeEachServer, type TestServer } from '../server-harness';
import { listRoutes, requestArb, type FuzzRequest, type KnownValues } from './route-fuzz-requests';

/** Fixed, so every run sends the same requests; `SB_FUZZ_SEED` and `SB_FUZZ_RUNS` explore further by hand. */
const SEED = Number(process.env.SB_FUZZ_SEED ?? 20261206);
const RUNS = Number(process.env.SB_FUZZ_RUNS ?? 2000);
const REQUEST_TIMEOUT_MS = 15_000;
const DATABASE_TEXT = /violates|constraint|relation "|syntax error|invalid byte sequence|unicode escape|SQLSTATE|\n\s+at /i;

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

function send(server: TestServer, agent: Agent, fuzz: FuzzRequest): Promise<Answer> {
  const url = new URL(server.url);
  const tokens = { owner: `Bearer ${server.ownerToken}`, gateway: `Bearer ${server.gatewayToken}`, admin: `Bearer ${server.adminToken}`, unknown: 'Bearer no-such-token', malformed: 'Basic x y' };
  const authorization = fuzz.token === 'none' ? {} : { authorization: tokens[fuzz.token] };
  const length = fuzz.body === undefined ? {} : { 'content-length': String(fuzz.body.length) };
  return new Promise((resolve, reject) => {
    const outgoing = request({
      host: url.hostname, port: url.port, method: fuzz.method, path: fuzz.target, agent, timeout: REQUEST_TIMEOUT_MS,
      headers: { ...fuzz.headers, ...authorization, ...length },
    }, (response) => {
      // A stream that stays open (GET /v1/events) has answered once its head arrived.
      if (response.headers['content-type']?.startsWith('text/event-stream') && !fuzz.target.startsWith('/v1/inbound')) {
        resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'], text: '' });
        response.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => resolve({
        status: response.statusCode ?? 0, contentType: response.headers['content-type'] ?? '', text: Buffer.concat(chunks).toString('utf8'),
      }));
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    outgoing.on('error', reject);
    outgoing.end(fuzz.body);
  });
}

/** Why an answer breaks the contract, or undefined when it keeps it. */
function findBreach(fuzz: FuzzRequest, answer: Answer): string | undefined {
  if (answer.status >= 500) return `answered ${answer.status}`;
  if (answer.status < 400 || fuzz.method === 'HEAD' || fuzz.target.startsWith('/mcp')) return undefined;
  if (!answer.contentType.startsWith('application/json')) return `an error of type ${answer.contentType}`;
  const body = JSON.parse(answer.text) as { error?: { code?: unknown; message?: unknown } };
  const keys = Object.keys(body.error ?? {}).filter((key) => !['code', 'message', 'details'].includes(key));
  if (Object.keys(body).join() !== 'error' || typeof body.error?.code !== 'string' || typeof body.error.message !== 'string' || keys.length) {
    return 'an error body without the error shape';
  }
  if (DATABASE_TEXT.test(body.error.message)) return 'an error message with database text';
  return undefined;
}

/** Gives the fuzzer something to find: a WhatsApp account, a contact with a session, a memory, an outbox item. */
async function seed(server: TestServer): Promise<KnownValues> {
  const client = server.client();
  await client.channels.add({ channel: 'whatsapp' });
  const answered = await client.inbound({ channel: 'telegram', sender: { id: 'fuzz-sender' }, messageId: randomUUID(), text: 'remember fuzz seed' }, { wait: true });
  if (answered.status !== 'done') throw new Error(`the seed message was ${answered.status}`);
  const [memory] = await client.memories.list({});
  const [item] = await server.admin<{ id: string }>('select id from outbox limit 1');
  const ids = [answered.contactId, answered.sessionId, memory?.id, item?.id].filter((id): id is string => typeof id === 'string');
  return { ids, names: ['fuzz-sender', 'fuzz seed'] };
}

describeEachServer('every route answers generated requests with 4xx at worst', (server) => {
  it(`sends ${RUNS} seeded requests and gets no 5xx and only well-formed errors`, async () => {
    const known = await seed(server);
    const routes = listRoutes(createApp({ services: createServices(server.db), authenticate: async () => undefined, grants: createTurnGrants() }));
    expect(routes.map((route) => `${route.method} ${route.path}`)).toEqual(expect.arrayContaining(['POST /v1/inbound', 'GET /v1/memories/:id', 'POST /mcp']));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      await fc.assert(
        fc.asyncProperty(requestArb(routes, known), async (fuzz) => {
          const answer = await send(server, agent, fuzz);
          const breach = findBreach(fuzz, answer);
          if (breach) throw new Error(`${fuzz.method} ${fuzz.target} (${JSON.stringify(fuzz.headers)}, token ${fuzz.token}): ${breach}: ${answer.text.slice(0, 300)}`);
        }),
        { seed: SEED, numRuns: RUNS },
      );
    } finally {
      agent.destroy();
    }
  }, 240_000);
});
