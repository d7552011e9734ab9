/**
 * What the route fuzzer sends: the routes of the real express app (walked from its router, so a
 * new route is fuzzed without editing the test), and fast-check arbitraries for one request to one
 * of them: path parameters, query, JSON or raw body, content type and encoding, and which token.
 * Values mix the API's own words and ids with text PostgreSQL cannot store and malformed escapes.
 */
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import type { Express } from 'express';
import fc from 'fast-check';

export interface AppRoute {
  method: string;
  /** An express path with `:param`s, e.g. `/v1/memories/:id`. */
  path: string;
}

interface RouterLayer {
  route?: { path: unknown; methods: Record<string, boolean> };
  rawPath?: unknown;
  handle?: { stack?: RouterLayer[] };
}

/** Every route of the app with its full path; fails loudly on a path it cannot read. */
export function listRoutes(app: Express): AppRoute[] {
  const root = (app as unknown as { router: { stack: RouterLayer[] } }).router.stack;
  const routes: AppRoute[] = [];
  const walk = (stack: RouterLayer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        if (typeof layer.route.path !== 'string') throw new Error(`route path ${String(layer.route.path)} is not a string`);
        const path = `${prefix}${layer.route.path}`.replace(/(.)\/$/, '$1');
        // A route for every method (`_all`) is sent PUT; other methods come from the method override.
        for (const method of Object.keys(layer.route.methods)) routes.push({ method: method === '_all' ? 'PUT' : method.toUpperCase(), path });
      } else if (Array.isArray(layer.handle?.stack)) {
        if (typeof layer.rawPath !== 'string') throw new Error(`mount path ${String(layer.rawPath)} is not a string`);
        walk(layer.handle.stack, layer.rawPath === '/' ? prefix : `${prefix}${layer.rawPath}`);
      }
    }
  };
  walk(root, '');
  return routes;
}

export type TokenKind = 'owner' | 'gateway' | 'admin' | 'none' | 'unknown' | 'malformed';

export interface FuzzRequest {
  method: string;
  /** Percent-encoded path and query, as sent on the request line. */
  target: string;
  token: TokenKind;
  headers: Record<string, string>;
  body?: Buffer | undefined;
}

/** Ids and names that exist on the server, so generated requests reach past the not-found checks. */
export interface KnownValues {
  ids: string[];
  names: string[];
}

const API_WORDS = [
  'default', 'owner', 'telegram', 'discord', 'whatsapp', 'cli', 'fax', 'direct', 'group', 'person', 'private', 'shared',
  'allowed', 'blocked', 'pending', 'failed', 'sent', 'true', 'false', '1', '0', 'echo', 'open', 'pairing', 'allowlist',
];
/** Text PostgreSQL cannot store as it is: NUL, lone surrogates. */
const UNSTORABLE_TEXT = ['\u0000', 'a\u0000b', '\ud800', 'x\udc00', 'tail\ud83d', '\udc00\ud800'];
const HOSTILE_TEXT = [
  '', ' ', '\udbff\udfff', '\u202e', '\u001b[2J', '\u001b]52;c;aGk=\u0007', '\u009b',
  "'; drop table contacts; --", '%00', '%', '../..', '__proto__', 'constructor', '\r\n', 'remember fuzz', 'recall', '/reset',
  '/whoami', '--help', 'x'.repeat(300), 'y'.repeat(9000), `remember ${'z'.repeat(8100)}`,
];
const FIELDS = [
  'channel', 'accountId', 'chat', 'sender', 'thread', 'messageId', 'text', 'mentioned', 'agent', 'deliver', 'id', 'type', 'title',
  'displayName', 'content', 'contact', 'visibility', 'access', 'into', 'holder', 'ttlMs', 'set', 'error', 'permanent', 'code',
  'name', 'model', 'systemPrompt', 'dmPolicy', 'groupReplies', 'rateLimit', 'burst', 'perMinute', 'memory', 'reset', 'ownerArgs',
  'ownerEnv', 'externalId', 'kind', 'token', 'apiRoot', 'limit', 'waitMs', 'leaseMs', 'account', '__proto__',
];
const QUERY_KEYS = ['q', 'contact', 'limit', 'wait', 'stream', 'channel', 'account', 'status', 'holder', 'foo', ''];
/** Numbers around every bound the API has, never a long wait (`waitMs` up to 30 s is valid). */
const NUMBERS = [0, -0, 1, -1, 2, 10, 50, 100, 1000, 1.5, 1e-7, 2 ** 31, 2 ** 53, 1e21, 600_001, -(2 ** 31)];
const MALFORMED_ESCAPES = ['%', '%z', '%zz', '%E0%A4%A', '%ED%A0%80', '%C0%80', '%FF', '%00', '%2F', '%2e%2e', 'a%', '%%'];

/** Percent-encodes every byte of `text` outside unreserved characters (lone surrogates become U+FFFD). */
function encode(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => {
    const char = String.fromCharCode(byte);
    return /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

function textArb(known: KnownValues): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...API_WORDS, ...known.ids, ...known.names) },
    { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_TEXT) },
    { weight: 3, arbitrary: fc.constantFrom(...UNSTORABLE_TEXT) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 1, arbitrary: fc.uuid() },
  );
}

function valueArb(known: KnownValues): fc.Arbitrary<unknown> {
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      textArb(known),
      fc.constantFrom(...NUMBERS),
      fc.integer({ min: 60_001 }),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), textArb(known)), tie('value'), { maxKeys: 4 }),
    ),
  }));
  return value;
}

/** One segment for a `:param`: mostly a known id or word, else an encoded string, raw bytes, or a broken escape. */
function segmentArb(known: KnownValues): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...API_WORDS, ...known.ids, ...known.names).map(encode) },
    { weight: 3, arbitrary: textArb(known).map(encode) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 8 }).map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')) },
    { weight: 1, arbitrary: fc.constantFrom(...MALFORMED_ESCAPES) },
  );
}

/** Queries routes read, as pairs; the fuzzer keeps or replaces each value. */
const QUERY_PAIRS = [['wait', 'true'], ['stream', 'true'], ['q', 'fuzz'], ['contact', 'owner'], ['limit', '5'], ['status', 'failed'], ['holder', 'fuzz-gateway']];

/** Some of the pairs routes read, each value kept or replaced by a generated one, or up to four generated pairs. */
function queryArb(known: KnownValues): fc.Arbitrary<string> {
  const key = fc.oneof(fc.constantFrom(...QUERY_KEYS).map(encode), segmentArb(known));
  const value = fc.oneof(fc.constantFrom(...API_WORDS, ...known.ids).map(encode), segmentArb(known));
  const replaced = fc.oneof(value, textArb(known).map(encode));
  const read = fc.subarray(QUERY_PAIRS, { minLength: 1, maxLength: 2 })
    .chain((pairs) => fc.tuple(...pairs.map(([name = '', kept = '']) => fc.tuple(fc.constant(name), fc.oneof(fc.constant(kept), replaced)))));
  const generated = fc.array(fc.tuple(key, value), { maxLength: 4 });
  return fc.oneof({ weight: 3, arbitrary: read }, { weight: 1, arbitrary: generated })
    .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`));
}

/** Bodies a route accepts as they are, by `METHOD path`; the fuzzer changes, adds or drops their fields. */
function validBodies(known: KnownValues): Record<string, Record<string, unknown>[]> {
  const id = known.ids[0] ?? '6f1c2a8e-3b4d-4e5f-9a0b-1c2d3e4f5a6b';
  return {
    'POST /v1/inbound': [
      { channel: 'telegram', sender: { id: 'fuzz-sender', displayName: 'Fuzz' }, messageId: 'm', text: 'hello' },
      { channel: 'telegram', chat: { id: '-100', type: 'group', title: 'G' }, sender: { id: 'fuzz-member' }, messageId: 'g', text: 'recall', mentioned: true },
      { channel: 'cli', messageId: 'o', text: 'remember fuzz' },
    ],
    'POST /v1/memories': [{ content: 'fuzz fact' }, { content: 'shared fact', contact: id, visibility: 'shared' }],
    'PATCH /v1/memories/:id': [{ content: 'changed fact' }, { visibility: 'private' }],
    'PATCH /v1/agents/:name': [{ systemPrompt: 'be brief', model: 'm' }, { dmPolicy: 'open' }, { rateLimit: { burst: 50, perMinute: 600 } }],
    'POST /v1/agents': [{ name: 'fuzz-agent' }],
    'POST /v1/contacts/resolve': [{ channel: 'telegram', externalId: '42', kind: 'person', displayName: 'A' }],
    'PATCH /v1/contacts/:id': [{ access: 'allowed' }],
    'POST /v1/contacts/:id/merge': [{ into: id }],
    'POST /v1/channels/:channel/:account/state': [{ set: { k: 'v', gone: null, nested: { type: 'Buffer', data: 'AAE=' } } }],
    'POST /v1/gateway/accounts/:channel/:account/lease': [{ holder: 'fuzz-gateway', ttlMs: 1000 }],
    'POST /v1/outbox/claim': [{ channel: 'whatsapp', account: 'default', limit: 5, waitMs: 0 }],
    'POST /v1/outbox/:id/fail': [{ error: 'boom', permanent: false }],
    'POST /v1/pairing/approve': [{ code: 'ABCDEF12' }],
    'POST /v1/sessions/reset': [{ contact: 'owner', agent: 'default', thread: 't' }],
    'POST /v1/channels': [{ channel: 'whatsapp', accountId: 'fuzz-wa' }],
    'POST /v1/tenants': [{ slug: 'fuzz-tenant' }, { slug: 'default', name: 'Taken' }, { slug: 'fuzz-owned', ownerEmail: 'fuzz@example.com' }],
  };
}

type Path = (string | number)[];
type Change = [kind: 'replace' | 'rename' | 'add' | 'drop', at: number, field: string, value: unknown];

/** The paths of every value in `value` (objects and arrays included), in document order. */
function pathsOf(value: unknown, path: Path = []): Path[] {
  if (typeof value !== 'object' || value === null) return [path];
  const children = Object.entries(value).flatMap(([key, child]) => pathsOf(child, [...path, Array.isArray(value) ? Number(key) : key]));
  return [path, ...children];
}

function parentOf(root: Record<string, unknown>, path: Path): Record<string, unknown> | undefined {
  let node: unknown = root;
  for (const key of path.slice(0, -1)) node = (node as Record<string, unknown>)[String(key)];
  return typeof node === 'object' && node !== null ? (node as Record<string, unknown>) : undefined;
}

/** Replaces, renames or drops one value of `body` (its fields and theirs), or adds a top-level field. */
function applyChange(body: Record<string, unknown>, [kind, at, field, value]: Change): void {
  const paths = pathsOf(body).slice(1);
  const path = paths[at % Math.max(paths.length, 1)];
  const parent = path ? parentOf(body, path) : undefined;
  const key = path?.at(-1);
  if (kind === 'add' || !parent || key === undefined) {
    body[field] = value;
  } else if (kind === 'replace') {
    parent[String(key)] = value;
  } else if (kind === 'drop') {
    delete parent[String(key)];
  } else if (!Array.isArray(parent)) {
    const moved = parent[String(key)];
    delete parent[String(key)];
    parent[typeof value === 'string' ? value : field] = moved;
  }
}

/** A valid body as it is, or with up to three of its values (at any depth) replaced, renamed, dropped or added; a fresh messageId. */
function mutatedBodyArb(bodies: Record<string, unknown>[], known: KnownValues): fc.Arbitrary<unknown> {
  const value = fc.oneof({ weight: 3, arbitrary: textArb(known) }, { weight: 1, arbitrary: valueArb(known) });
  const change = fc.tuple(fc.constantFrom('replace', 'replace', 'replace', 'rename', 'add', 'drop'), fc.nat(), fc.constantFrom(...FIELDS), value);
  const changes = fc.oneof({ weight: 1, arbitrary: fc.constant([]) }, { weight: 3, arbitrary: fc.array(change, { minLength: 1, maxLength: 3 }) });
  return fc.tuple(fc.constantFrom(...bodies), changes, fc.uuid()).map(([valid, picked, messageId]) => {
    const body = structuredClone('messageId' in valid ? { ...valid, messageId } : valid);
    for (const change of picked) applyChange(body, change as Change);
    return body;
  });
}

/** A body: mostly a changed valid one, else any JSON, bytes that are not JSON, deep nesting, or none. */
function bodyArb(bodies: Record<string, unknown>[], known: KnownValues): fc.Arbitrary<Buffer | undefined> {
  const json = (value: unknown) => Buffer.from(JSON.stringify(value) ?? 'null', 'utf8');
  return fc.oneof(
    { weight: bodies.length ? 2 : 16, arbitrary: fc.constant(undefined) },
    { weight: bodies.length ? 24 : 0, arbitrary: mutatedBodyArb(bodies.length ? bodies : [{}], known).map(json) },
    { weight: 2, arbitrary: fc.dictionary(fc.constantFrom(...FIELDS), valueArb(known), { maxKeys: 6 }).map(json) },
    { weight: 1, arbitrary: valueArb(known).map(json) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }).map((text) => Buffer.from(text, 'utf8')) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 60 }).map((bytes) => Buffer.from(bytes)) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 5000 }).map((depth) => Buffer.from(`{"set":{"k":${'['.repeat(depth)}${']'.repeat(depth)}}}`)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('{"text":"a\\ud800"}', '{"a\\u0000":1}', '{"content":"x","content":"y"}', '{"__proto__":{"x":1}}', '1e999', '[]')
        .map((text) => Buffer.from(text)),
    },
  );
}

const CONTENT_TYPES = [
  undefined, 'application/json', 'application/json; charset=utf-8', 'application/json; charset=utf-16', 'application/json; charset=latin1',
  'application/json; charset=bogus', 'application/json; charset="utf-8"', 'application/json;;', 'text/plain', 'application/x-www-form-urlencoded',
  'application/merge-patch+json', 'multipart/form-data; boundary=x', '*/*', 'application/json; foo',
];
const ENCODINGS = [undefined, 'gzip', 'deflate', 'br', 'identity', 'gzip, gzip', 'x-foo', 'GZIP', ''];

function encodeBody(body: Buffer, encoding: string | undefined, compress: boolean): Buffer {
  if (!compress) return body;
  if (encoding === 'gzip' || encoding === 'GZIP') return gzipSync(body);
  if (encoding === 'deflate') return deflateSync(body);
  if (encoding === 'br') return brotliCompressSync(body);
  return body;
}

/** `null` mostly (`odds` to one), else a value. */
function rarely<T>(arbitrary: fc.Arbitrary<T>, odds = 3): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: odds, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });
}

/** A value for a path parameter: one that exists for the parameters the app has, else any segment. */
function paramArb(name: string, known: KnownValues): fc.Arbitrary<string> {
  const existing: Record<string, string[]> = {
    id: known.ids, name: ['default', 'fuzz-agent'], channel: ['telegram', 'whatsapp', 'discord'], account: ['default', 'fuzz-wa'],
  };
  const values = existing[name] ?? [];
  return values.length ? fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...values) }, { weight: 1, arbitrary: segmentArb(known) }) : segmentArb(known);
}

/** One request to one of `routes`: mostly its own method and body, sometimes another method or an extra segment. */
export function requestArb(routes: AppRoute[], known: KnownValues): fc.Arbitrary<FuzzRequest> {
  const bodies = validBodies(known);
  return fc.constantFrom(...routes).chain((route) => fc.record({
    route: fc.constant(route),
    method: rarely(fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'HEAD', 'OPTIONS'), 6),
    params: fc.tuple(...[...route.path.matchAll(/:([A-Za-z_]+)/g)].map(([, name]) => paramArb(name ?? '', known))),
    extra: rarely(segmentArb(known), 6),
    query: rarely(queryArb(known), 2),
    token: fc.constantFrom<TokenKind>('owner', 'owner', 'owner', 'owner', 'owner', 'owner', 'gateway', 'gateway', 'admin', 'none', 'unknown', 'malformed'),
    body: bodyArb(bodies[`${route.method} ${route.path}`] ?? [], known),
    contentType: fc.oneof({ weight: 6, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) }),
    encoding: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...ENCODINGS) }),
    compress: fc.boolean(),
  })).map(({ route, method, params, extra, query, token, body, contentType, encoding, compress }) => {
    let index = 0;
    const path = route.path.replace(/:[A-Za-z_]+/g, () => params[index++] ?? 'x');
    const headers: Record<string, string> = {};
    if (contentType !== undefined) headers['content-type'] = contentType;
    if (encoding !== undefined) headers['content-encoding'] = encoding;
    return {
      method: method ?? route.method,
      target: `${path}${extra === null ? '' : `/${extra}`}${query ?? ''}`,
      token,
      headers,
      body: body === undefined ? undefined : encodeBody(body, encoding, compress),
    };
  });
}
