/**
 * The HTTP app: the open /healthz and /openapi.json (made once, from the route table), JSON in and
 * out, a body limit, the memory tools over MCP on /mcp (turn tokens),
 * then for every other route text PostgreSQL can store (the input guard) and bearer authentication
 * on /v1, one router per component, and one error writer. Built from its dependencies so tests drive the real app.
 */
import express, { type Express } from 'express';
import { AppError } from '@switchboard/shared';
import type { Services } from '../services';
import { channelRoutes, gatewayRoutes } from '../channels/channel-routes';
import { contactRoutes } from '../contacts/contact-routes';
import { memoryRoutes } from '../memories/memory-routes';
import { sessionRoutes } from '../sessions/session-routes';
import { tenantRoutes } from '../tenants/tenant-routes';
import { agentRoutes } from '../agents/agent-routes';
import { inboundRoutes, type WaitForTurn } from '../pipeline/inbound-routes';
import { outboxRoutes } from '../outbox/outbox-routes';
import { pairingRoutes } from '../pairing/pairing-routes';
import type { CheckAgent } from '../agents/agent-check';
import type { TurnGrants } from '../agents/turn-grants';
import { MCP_PATH } from '../mcp/mcp-names';
import { createOpenApiDocument } from '../openapi/openapi-document';
import { API_ROUTES } from '../openapi/openapi-route-table';
import { mcpRoutes } from '../mcp/mcp-routes';
import { authMiddleware, inAccountTenantOf, type Authenticate } from './auth-middleware';
import { errorMiddleware, notFoundMiddleware } from './error-middleware';
import { inputMiddleware } from './input-middleware';

export interface AppDeps {
  services: Services;
  authenticate: Authenticate;
  /** `?wait=true` on /v1/inbound; without it, waiting answers 503. */
  waitForTurn?: WaitForTurn;
  bodyLimit?: string;
  /** `GET /v1/agents/:name/check`; without it, a check reports only that nothing was checked. */
  checkAgent?: CheckAgent;
  /** The live turn tokens; with them the app serves the memory tools over MCP. */
  grants?: TurnGrants;
}

export function createApp(deps: AppDeps): Express {
  const { services } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  const document = createOpenApiDocument(API_ROUTES);
  app.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.use(express.json({ limit: deps.bodyLimit ?? '256kb' }));
  if (deps.grants) app.use(MCP_PATH, mcpRoutes(services.memories, deps.grants));
  app.use(inputMiddleware);
  app.use('/v1', authMiddleware(deps.authenticate));
  // The gateway token is the installation's: each of its requests names an account, whose tenant it then acts in.
  const inAccountTenant = inAccountTenantOf(services.channels.tenantOf);
  app.use('/v1/inbound', inboundRoutes(services.inbound, deps.waitForTurn ?? noWorker, inAccountTenant));
  app.use('/v1/agents', agentRoutes(services.agents, deps.checkAgent ?? notChecked));
  app.use('/v1/pairing', pairingRoutes(services.pairing));
  app.use('/v1/outbox', outboxRoutes(services.outbox, inAccountTenant));
  app.use('/v1/channels', channelRoutes(services.channels, inAccountTenant));
  app.use('/v1/gateway', gatewayRoutes(services.channels, inAccountTenant));
  app.use('/v1/contacts', contactRoutes(services.contacts, inAccountTenant));
  app.use('/v1/memories', memoryRoutes(services.memories));
  app.use('/v1/sessions', sessionRoutes(services.sessions, services.agents));
  app.use('/v1/tenants', tenantRoutes(services.tenants));
  app.use(notFoundMiddleware);
  app.use(errorMiddleware);
  return app;
}

const notChecked: CheckAgent = async (agent) =>
  ({ agent: agent.name, provider: agent.provider, ok: false, detail: 'this process runs no agents' });
const noWorker: WaitForTurn = () => Promise.reject(new AppError('unavailable', 'No worker runs turns in this process'));
