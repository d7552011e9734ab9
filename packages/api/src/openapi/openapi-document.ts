/**
 * The OpenAPI 3.1 document of the routes in the route table, made by zod-openapi from the shared
 * zod schemas: requests as they are accepted, answers as they are sent (a date is an ISO string).
 * Every route that takes a token lists 401 (and 403 for the kinds of token it refuses); one that takes input, 400; one with an id in
 * its path, 404; any other failure is the shared error body (`default`).
 */
import { STATUS_CODES } from 'node:http';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import type { z } from 'zod';
import {
  Agent, AgentCheck, ChannelAccount, ChannelLease, Contact, ErrorBody, ForgetResult, GatewayAccount, InboundAccepted, InboundAnswered,
  Memory, MemoryEvent, Message, OpenApiDocument, OutboxItem, PairingRequest, Session,
} from '@switchboard/shared';
import type { ApiRoute, RouteAnswer } from './openapi-route-table';

/** Answer schemas shown once under `components` and referenced by name. */
const NAMED_SCHEMAS = {
  Agent, AgentCheck, ChannelAccount, ChannelLease, Contact, ErrorBody, ForgetResult, GatewayAccount, InboundAccepted, InboundAnswered,
  Memory, MemoryEvent, Message, OutboxItem, PairingRequest, Session,
};

export function createOpenApiDocument(routes: readonly ApiRoute[]): OpenApiDocument {
  const paths: Record<string, Record<string, ZodOpenApiOperationObject>> = {};
  for (const route of routes) {
    checkPathParams(route);
    (paths[route.path] ??= {})[route.method] = operationOf(route);
  }
  const document = createDocument({
    openapi: '3.1.0',
    info: { title: 'Switchboard', version: 'v1', description: 'A multi-tenant agent gateway: many people, one shared AI agent.' },
    paths,
    components: {
      schemas: NAMED_SCHEMAS,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An owner token (its tenant), the installation gateway or admin token, or a running turn token' } },
    },
  }, {
    override: ({ jsonSchema, zodSchema }) => {
      // Dates travel as ISO 8601 text (JSON.stringify of a Date).
      if (zodSchema._zod.def.type === 'date') Object.assign(jsonSchema, { type: 'string', format: 'date-time' });
    },
  });
  return OpenApiDocument.parse(document);
}

function operationOf(route: ApiRoute): ZodOpenApiOperationObject {
  const tokens = typeof route.auth === 'string' ? undefined : route.auth;
  return {
    summary: route.summary,
    description: route.auth === 'anyone' ? 'Open to anyone.' : `Token: ${tokens ? tokens.join(' or ') : "a running turn's"}.`,
    tags: [route.path.split('/')[route.path.startsWith('/v1/') ? 2 : 1] ?? ''],
    security: route.auth === 'anyone' ? [] : [{ bearer: [] }],
    ...(route.params || route.query ? { requestParams: { ...(route.params && { path: route.params }), ...(route.query && { query: route.query }) } } : {}),
    ...(route.body ? { requestBody: { required: !route.body.safeParse(undefined).success, content: { 'application/json': { schema: route.body } } } } : {}),
    responses: { ...errorResponses(route), ...successResponses(route.responses) },
  };
}

function successResponses(answers: Record<number, RouteAnswer>): ZodOpenApiResponsesObject {
  return Object.fromEntries(Object.entries(answers).map(([status, answer]) => {
    const description = STATUS_CODES[status] ?? status;
    return [status, answer === null ? { description } : { description, content: contentOf(answer) }];
  }));
}

function contentOf(answer: Exclude<RouteAnswer, null>): Record<string, { schema: z.ZodType }> {
  if (isSchema(answer)) return { 'application/json': { schema: answer } };
  return Object.fromEntries(Object.entries(answer).map(([type, schema]) => [type, { schema }]));
}

function isSchema(answer: Exclude<RouteAnswer, null>): answer is z.ZodType {
  return '_zod' in answer;
}

function errorResponses(route: ApiRoute): ZodOpenApiResponsesObject {
  const statuses = [
    ...(route.params || route.query || route.body ? [400] : []),
    ...(route.auth === 'anyone' ? [] : [401]),
    ...(typeof route.auth === 'string' ? [] : [403]),
    ...(route.params ? [404] : []),
  ];
  const error = (description: string) => ({ description, content: { 'application/json': { schema: ErrorBody } } });
  return Object.fromEntries([...statuses.map((status) => [status, error(STATUS_CODES[status] ?? String(status))]), ['default', error('Any other failure')]]);
}

/** The `{name}`s of a path and the keys of its params schema are the same. */
function checkPathParams(route: ApiRoute): void {
  const placeholders = [...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]).sort();
  const keys = Object.keys(route.params?.shape ?? {}).sort();
  if (placeholders.join() !== keys.join()) {
    throw new Error(`${route.method.toUpperCase()} ${route.path}: path parameters {${placeholders.join(', ')}} but params schema has {${keys.join(', ')}}`);
  }
}
