/**
 * `GET /openapi.json`: the document is OpenAPI 3.1 by the specification's own schema, names every
 * route the express app serves and no other, says truly which routes need a token, and the answers
 * of real requests to the real server (the echo agent's turn included) match its schemas.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { ContactIdParams, ContactReply, type OpenApiDocument } from '@switchboard/shared';
import { describeEachServer, type TestServer } from '../../../../test/server-harness';
import { createTurnGrants } from '../agents/turn-grants';
import { createApp } from '../http/create-app';
import { createServices } from '../services';
import { createOpenApiDocument } from './openapi-document';
import { API_ROUTES } from './openapi-route-table';

const document = createOpenApiDocument(API_ROUTES);

/** The verdict of the OpenAPI schema validator's own command on a document. */
function validateOpenApi(candidate: unknown): { valid: boolean; errors?: unknown } {
  const cli = join(dirname(require.resolve('@seriousme/openapi-schema-validator/package.json')), 'bin', 'validate-api-cli.js');
  const dir = mkdtempSync(join(tmpdir(), 'sb-openapi-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(candidate));
    try {
      return JSON.parse(execFileSync(process.execPath, [cli, file], { encoding: 'utf8' })) as { valid: boolean };
    } catch (error) {
      return JSON.parse((error as { stdout: string }).stdout) as { valid: boolean; errors: unknown };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
  rawPath?: unknown;
}

/** `METHOD /path` of every route in an express router stack, paths in OpenAPI form. */
function servedRoutes(stack: Layer[], prefix = ''): string[] {
  return stack.flatMap((layer) => {
    // `all` routes only answer 405 for the methods a path lacks (MCP).
    if (layer.route) {
      const path = openApiPath(`${prefix}${layer.route.path}`);
      return Object.keys(layer.route.methods).filter((method) => method !== '_all').map((method) => `${method.toUpperCase()} ${path}`);
    }
    // A router mounted without a path (`app.use(router)`) adds nothing to its routes' paths.
    if (layer.handle.stack && typeof layer.rawPath === 'string') return servedRoutes(layer.handle.stack, layer.rawPath === '/' ? prefix : `${prefix}${layer.rawPath}`);
    return [];
  });
}

function openApiPath(expressPath: string): string {
  return expressPath.replace(/:(\w+)/g, '{$1}').replace(/(.)\/$/, '$1');
}

const listedRoutes = API_ROUTES.map((route) => `${route.method.toUpperCase()} ${route.path}`);

/** A path of the table with its `{params}` filled in with values of the right shape. */
function filledPath(path: string): string {
  const values: Record<string, string> = { id: randomUUID(), name: 'default', channel: 'telegram', account: 'openapi-test' };
  return path.replace(/\{(\w+)\}/g, (_match, name: string) => values[name] ?? 'x');
}

/** Checks answers against the document's own schemas, `$ref`s to its components resolved. */
function createAnswerCheck(served: OpenApiDocument) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ ...served, $id: 'openapi.json' });
  const pointer = (...segments: string[]) => segments.map((s) => encodeURIComponent(s.replaceAll('~', '~0').replaceAll('/', '~1'))).join('/');
  return async (method: string, path: string, response: Response) => {
    const operation = served.paths[path]?.[method] as { responses: Record<string, unknown> } | undefined;
    expect(operation).toBeDefined();
    const status = String(response.status);
    const listed = status in operation!.responses ? status : 'default';
    if (listed === 'default') expect(response.status).toBeGreaterThanOrEqual(400);
    const body: unknown = await response.json();
    const validate = ajv.compile({ $ref: `openapi.json#/${pointer('paths', path, method, 'responses', listed, 'content', 'application/json', 'schema')}` });
    if (!validate(body)) throw new Error(`${method.toUpperCase()} ${path} ${status}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(body)}`);
    return body as Record<string, any>;
  };
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document by the specification\'s schema', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(validateOpenApi(document)).toEqual({ valid: true });
  });

  it('fails that validation once an answer loses its description', () => {
    const broken = structuredClone(document) as { paths: Record<string, Record<string, { responses: Record<string, { description?: string }> }>> };
    delete broken.paths['/v1/contacts']!.get!.responses['200']!.description;
    expect(validateOpenApi(broken).valid).toBe(false);
  });

  it('keys paths in full and answers failures with the shared error body', () => {
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/healthz', '/v1/inbound', '/v1/contacts/{id}', '/v1/sessions/{id}/messages']));
    const contact = document.paths['/v1/contacts/{id}']!.get as { responses: Record<string, { content?: Record<string, { schema: unknown }> }> };
    for (const status of ['400', '401', '403', '404', 'default']) {
      expect(contact.responses[status]?.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/ErrorBody' });
    }
  });

  it('refuses a route whose path parameters differ from its params schema', () => {
    const route = { method: 'get', path: '/v1/contacts/{contactId}', auth: ['owner'], summary: 'Show', params: ContactIdParams, responses: { 200: ContactReply } } as const;
    expect(() => createOpenApiDocument([route])).toThrow('GET /v1/contacts/{contactId}: path parameters {contactId} but params schema has {id}');
  });
});

describeEachServer('GET /openapi.json', (server: TestServer) => {
  it('serves the document without a token', async () => {
    const response = await server.fetch('/openapi.json', { token: null });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(JSON.parse(JSON.stringify(document)));
  });

  it('lists every route the app serves, and no other', () => {
    const app = createApp({ services: createServices(server.db), authenticate: async () => undefined, grants: createTurnGrants() });
    const served = servedRoutes((app as unknown as { router: { stack: Layer[] } }).router.stack);
    expect(served.length).toBeGreaterThan(30);
    expect([...served].sort()).toEqual([...listedRoutes].sort());
  });

  it('answers 401 without a token exactly on the routes that list a token, and 403 to a gateway token where it is not listed', async () => {
    for (const route of API_ROUTES) {
      const path = filledPath(route.path);
      const anonymous = await server.fetch(path, { method: route.method.toUpperCase(), token: null });
      expect(`${route.method} ${route.path} ${anonymous.status}`).toBe(`${route.method} ${route.path} ${route.auth === 'anyone' ? 200 : 401}`);
      if (typeof route.auth === 'string' || route.auth.includes('gateway')) continue;
      const gateway = await server.fetch(path, { method: route.method.toUpperCase(), token: server.gatewayToken });
      expect(`${route.method} ${route.path} ${gateway.status}`).toBe(`${route.method} ${route.path} 403`);
    }
  });

  it('answers real requests as the document describes them', async () => {
    const served = (await (await server.fetch('/openapi.json', { token: null })).json()) as OpenApiDocument;
    const check = createAnswerCheck(served);
    const json = (method: string, body?: unknown, token?: string) => ({
      method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }), ...(token ? { token } : {}),
    });
    const message = { channel: 'telegram', sender: { id: 'openapi-ana', displayName: 'Ana' }, messageId: randomUUID(), text: 'hello' };

    const answered = await check('post', '/v1/inbound', await server.fetch('/v1/inbound?wait=true', json('POST', message)));
    expect(answered).toMatchObject({ status: 'done', reply: { text: 'echo: hello' } });
    const accepted = await check('post', '/v1/inbound', await server.fetch('/v1/inbound', json('POST', { ...message, messageId: randomUUID() })));
    expect(accepted.status).toBe('queued');
    const contactId = answered.contactId as string;

    expect((await check('get', '/v1/contacts', await server.fetch('/v1/contacts'))).contacts.length).toBeGreaterThan(0);
    expect((await check('get', '/v1/contacts/{id}', await server.fetch(`/v1/contacts/${contactId}`))).contact.displayName).toBe('Ana');
    const sessions = (await check('get', '/v1/sessions', await server.fetch(`/v1/sessions?contact=${contactId}`))).sessions as { id: string }[];
    const transcript = await check('get', '/v1/sessions/{id}/messages', await server.fetch(`/v1/sessions/${sessions[0]!.id}/messages`));
    expect(transcript.messages.map((m: { text: string }) => m.text)).toEqual(expect.arrayContaining(['hello', 'echo: hello']));
    const page = await check('get', '/v1/sessions/{id}/messages', await server.fetch(`/v1/sessions/${sessions[0]!.id}/messages?limit=1`));
    expect(page.older).toEqual(expect.any(String));
    expect((await check('get', '/v1/usage', await server.fetch(`/v1/usage?contact=${contactId}`))).usage[0].turns).toBeGreaterThan(0);

    const memory = (await check('post', '/v1/memories', await server.fetch('/v1/memories', json('POST', { content: 'likes tea', contact: contactId })))).memory;
    expect((await check('get', '/v1/memories', await server.fetch('/v1/memories'))).memories.length).toBeGreaterThan(0);
    expect((await check('get', '/v1/memories/{id}/history', await server.fetch(`/v1/memories/${memory.id}/history`))).events).toHaveLength(1);
    await check('get', '/v1/agents', await server.fetch('/v1/agents'));
    await check('get', '/v1/agents/{name}/check', await server.fetch('/v1/agents/default/check'));
    await check('get', '/v1/outbox', await server.fetch('/v1/outbox?status=sent'));
    await check('get', '/healthz', await server.fetch('/healthz', { token: null }));

    const missing = await check('get', '/v1/contacts/{id}', await server.fetch(`/v1/contacts/${randomUUID()}`));
    expect(missing.error.code).toBe('not_found');
    expect((await check('post', '/v1/memories', await server.fetch('/v1/memories', json('POST', {})))).error.code).toBe('invalid_input');
    expect((await check('post', '/mcp', await server.fetch('/mcp', json('POST', {}, 'not-a-turn-token')))).error.code).toBe(-32001);
  });
});
