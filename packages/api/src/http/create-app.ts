/**
 * The HTTP app: the open /healthz and /openapi.json (made once, from the route table), JSON in and
 * out, a body limit, the memory tools over MCP on /mcp (turn tokens),
 * then for every other route text PostgreSQL can store (the input guard) and bearer authentication
 * on /v1, one router per component, and one error writer. Every answer is counted in the app's own
 * metrics (by route pattern). Built from its dependencies so tests drive the real app.
 */
import express, { type Express } from 'express';
import { AppError } from '@switchboard/shared';
import type { Services } from '../services';
import { channelRoutes, gatewayRoutes } from '../channels/channel-routes';
import { contactRoutes } from '../contacts/contact-routes';
import { memoryRoutes } from '../memories/memory-routes';
import { sessionRoutes } from '../sessions/session-routes';
import { eventRoutes } from '../sessions/event-routes';
import { usageRoutes } from '../sessions/usage-routes';
import { tenantRoutes } from '../tenants/tenant-routes';
import { agentRoutes } from '../agents/agent-routes';
import { inboundRoutes, type ExpectStream, type WaitForTurn } from '../pipeline/inbound-routes';
import { outboxRoutes } from '../outbox/outbox-routes';
import { pairingRoutes } from '../pairing/pairing-routes';
import type { CheckAgent } from '../agents/agent-check';
import type { TurnGrants } from '../agents/turn-grants';
import { MCP_PATH } from '../mcp/mcp-names';
import { createOpenApiDocument } from '../openapi/openapi-document';
import { API_ROUTES } from '../openapi/openapi-route-table';
import { mcpRoutes } from '../mcp/mcp-routes';
import { authMiddleware, inAccountTenantOf, type Authenticate } from './auth-middleware';
import { createSilentLog, type Log } from '../ops/ops-log';
import { createMetrics, type Metrics } from '../ops/ops-metrics';
import { httpMetricsMiddleware, markMount } from '../ops/ops-http-metrics';
import type { CheckReady } from '../ops/ops-readiness';
import { opsRoutes } from '../ops/ops-routes';
import { consoleRoutes, type ConsoleOptions } from '../console/console-routes';
import { createErrorMiddleware, notFoundMiddleware } from './error-middleware';
import { inputMiddleware } from './input-middleware';

export interface AppDeps {
  services: Services;
  authenticate: Authenticate;
  /** `?wait=true` on /v1/inbound; without it, waiting answers 503. */
  waitForTurn?: WaitForTurn;
  /** Announces a streaming request before it accepts (the worker's turns then keep their text for it). */
  expectStream?: ExpectStream;
  bodyLimit?: string;
  /** `GET /v1/agents/:name/check`; without it, a check reports only that nothing was checked. */
  checkAgent?: CheckAgent;
  /** The live turn tokens; with them the app serves the memory tools over MCP. */
  grants?: TurnGrants;
  /** The app's metrics (GET /metrics); without them, a registry of its own. */
  metrics?: Metrics;
  /** GET /readyz; without it, the app answers that it cannot tell (503). */
  checkReady?: CheckReady;
  /** SB_METRICS_TOKEN: may read /metrics. */
  metricsToken?: string | undefined;
  log?: Log;
  /** The owner's web console at /console (the bundle's place, the Supabase project for sign-in). */
  console?: ConsoleOptions;
}

export function createApp(deps: AppDeps): Express {
  const { services } = deps;
  const metrics = deps.metrics ?? createMetrics();
  const app = express();
  // Mounted with its path recorded, so its requests are counted by route pattern.
  const mount = (path: string, router: express.Router) => app.use(path, markMount(path), router);
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(httpMetricsMiddleware(metrics));
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  const document = createOpenApiDocument(API_ROUTES);
  app.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.use(opsRoutes({ metrics, checkReady: deps.checkReady ?? notChecked, authenticate: deps.authenticate, metricsToken: deps.metricsToken }));
  app.use('/console', consoleRoutes(deps.console));
  app.use(express.json({ limit: deps.bodyLimit ?? '256kb' }));
  if (deps.grants) mount(MCP_PATH, mcpRoutes(services.memories, deps.grants));
  app.use(inputMiddleware);
  app.use('/v1', authMiddleware(deps.authenticate));
  // The gateway token is the installation's: each of its requests names an account, whose tenant it then acts in.
  const inAccountTenant = inAccountTenantOf((channel, account) => services.channels.tenantOf(channel, account));
  mount('/v1/inbound', inboundRoutes(services.inbound, deps.waitForTurn ?? noWorker, inAccountTenant, metrics, deps.expectStream));
  mount('/v1/agents', agentRoutes(services.agents, deps.checkAgent ?? agentNotChecked));
  mount('/v1/pairing', pairingRoutes(services.pairing));
  mount('/v1/outbox', outboxRoutes(services.outbox, inAccountTenant));
  mount('/v1/channels', channelRoutes(services.channels, inAccountTenant));
  mount('/v1/gateway', gatewayRoutes(services.channels, inAccountTenant));
  mount('/v1/contacts', contactRoutes(services.contacts, inAccountTenant));
  mount('/v1/memories', memoryRoutes(services.memories));
  mount('/v1/sessions', sessionRoutes(services.sessions, services.agents));
  mount('/v1/tenants', tenantRoutes(services.tenants));
  mount('/v1/usage', usageRoutes(services.sessions));
  mount('/v1/events', eventRoutes(services.feed, deps.log ?? createSilentLog()));
  app.use(notFoundMiddleware);
  app.use(createErrorMiddleware(deps.log ?? createSilentLog()));
  return app;
}

const agentNotChecked: CheckAgent = async (agent) =>
  ({ agent: agent.name, provider: agent.provider, ok: false, detail: 'this process runs no agents' });
const notChecked: CheckReady = () => Promise.reject(new AppError('unavailable', 'This process does not check its readiness'));
const noWorker: WaitForTurn = () => Promise.reject(new AppError('unavailable', 'No worker runs turns in this process'));
