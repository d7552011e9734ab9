/**
 * `sb serve`: one process with the database, the HTTP API and the turn worker. Start-up opens and
 * migrates the database, makes the owner and gateway tokens (files in SB_HOME unless set in the
 * environment) the tenant's tokens (with SUPABASE_URL, linked Supabase Auth users' tokens work as
 * owners'), frees on PGlite what a killed process held (leases, claims; on PostgreSQL the worker frees
 * its own by its lasting id), starts the worker and listens. `close` stops listening, lets running
 * turns end, closes the database. It reports to one structured log; metrics to a registry of its own.
 */
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError } from '@switchboard/shared';
import type { Config } from './config';
import type { Db, Engine } from './db/db';
import { openDb } from './db/open-db';
import { MIGRATIONS_DIR, readMigrations } from './db/migrate';
import { createLog, type Log } from './ops/ops-log';
import { createMetrics } from './ops/ops-metrics';
import { readOperationCounts } from './ops/ops-repo';
import { createReadiness } from './ops/ops-readiness';
import { makePrivate } from './home/home-modes';
import { claimLastingId } from './home/home-lasting-id';
import { createContactFiles } from './contacts/contact-files';
import { agentEnv } from './agents/agent-env';
import { createAgentCheck } from './agents/agent-check';
import { createCliSandbox } from './agents/cli-sandbox';
import { warnUnsandboxedAgents } from './agents/sandbox-warnings';
import { createClaudeProvider } from './agents/claude-provider';
import { createCodexProvider } from './agents/codex-provider';
import { createOpencodeProvider } from './agents/opencode-provider';
import { createOpenaiProvider } from './agents/openai-provider';
import { createAnthropicProvider } from './agents/anthropic-provider';
import { createEchoProvider } from './agents/echo-provider';
import { createTurnGrants } from './agents/turn-grants';
import { MCP_PATH } from './mcp/mcp-names';
import { loadOrCreateToken } from './auth/token-files';
import { createCachedAuthenticate, registerToken } from './auth/token-repo';
import { createSupabaseAuthenticate } from './auth/supabase-authenticate';
import { bindPendingMember, findMemberTenant, hasPendingMember } from './tenants/tenant-member-repo';
import { createApp } from './http/create-app';
import { createServices } from './services';
import { findTenantId } from './tenant-lookup';
import { createTenantHomes } from './home/tenant-homes';
import { createTurnRunner } from './pipeline/turn-runner';
import { createTurnWaiters } from './pipeline/turn-waiters';
import { createTurnWorker } from './pipeline/turn-worker';
import { releaseAllLeases } from './channels/channel-repo';
import { releaseAllReplyClaims } from './outbox/outbox-release';

export interface RunningServer {
  url: string;
  port: number;
  engine: Engine;
  /** For a person: `switchboard: listening on <url> (<engine>[ in <home>])`. */
  listening: string;
  /** The tenant's gateway token, for a gateway in this process (`sb serve`). */
  gatewayToken: string;
  /** Called when a channel account is added or removed through this server. */
  onChannelsChanged(listener: () => void): void;
  close(): Promise<void>;
}

const TOKEN_CACHE_MS = 5000;
const WAIT_POLL_MS = 1000;
/** Tables every turn updates or deletes rows of: vacuumed this often where nothing else does it (PGlite). */
const CHURNED_TABLES = ['turn_queue', 'inbound_events', 'rate_buckets', 'new_contact_buckets', 'outbox', 'sessions', 'channel_leases'];
const VACUUM_EVERY_MS = 30_000;

export interface ServerOptions {
  /** The server's log; without it, JSON lines on stderr at the configured level. */
  log?: Log;
  /** The environment agent CLIs run with (PATH, HOME, their own credentials); our tokens are removed. */
  env?: Record<string, string | undefined>;
  /** An opened, migrated database to serve from (tests); the server closes it on `close`. */
  db?: Db;
}

export async function startServer(config: Config, options: ServerOptions = {}): Promise<RunningServer> {
  const log = options.log ?? createLog({ level: config.logLevel, content: config.logContent });
  // Seams that report plain lines (agent CLIs, lasting ids, sandbox warnings) write them to the same log.
  const warnLine = (line: string) => log.warn(line);
  const warnLoose = (failures: string[]) => failures.forEach((failure) => log.warn({ failure }, 'could not make private'));
  // Before the database opens: what an earlier version left readable by others becomes private.
  warnLoose(makePrivate(config.home));
  const migrationNames = (await readMigrations(MIGRATIONS_DIR)).map((file) => file.name);
  // Enough connections for every running turn plus the requests being accepted meanwhile.
  const db = options.db ?? (await openDb({ ...config, maxConnections: config.concurrency + 8, log }));
  try {
    // PGlite's first start sets its files to 0666 itself.
    if (!options.db && !config.databaseUrl) warnLoose(makePrivate(join(config.home, 'data')));
    const tenantId = await findTenantId(db, 'default');
    if (!tenantId) throw new AppError('not_found', 'The database has no default tenant');
    await registerToken(db, tenantId, 'owner', loadOrCreateToken(config.home, 'owner', config.ownerToken));
    const gatewayToken = loadOrCreateToken(config.home, 'gateway', config.gatewayToken);
    await registerToken(db, null, 'gateway', gatewayToken);
    await registerToken(db, null, 'admin', loadOrCreateToken(config.home, 'admin', config.adminToken));
    if (db.engine === 'pglite') await releaseDeadHolds(db, log);
    // Nothing after start-up runs as the schema owner; a database the caller opened stays the caller's.
    if (!options.db) await db.closeAdmin();

    let wakeWorker = () => {};
    const tenantHomes = createTenantHomes(config.home, tenantId);
    const tokens = createCachedAuthenticate(db, TOKEN_CACHE_MS);
    const authenticate = config.supabase
      ? await createSupabaseAuthenticate({
        config: config.supabase, tokens, ttlMs: TOKEN_CACHE_MS, members: {
          findMemberTenant: (userId) => findMemberTenant(db, userId),
          hasPendingMember: (email) => hasPendingMember(db, email),
          bindPendingMember: (userId, email) => bindPendingMember(db, userId, email),
        },
      })
      : tokens;
    const services = createServices(db, {
      wake: () => wakeWorker(), contactFiles: createContactFiles(tenantHomes.of), tenantHomes, onAccessChanged: authenticate.forget, log,
    });
    const waiters = createTurnWaiters();
    const grants = createTurnGrants();
    const metrics = createMetrics({ readCounts: () => readOperationCounts(db), processMetrics: true });
    const workspaceRoot = join(config.home, 'workspaces');
    const agentProcessEnv = agentEnv(options.env ?? {});
    const sandbox = createCliSandbox({ env: agentProcessEnv, home: config.home });
    mkdirSync(workspaceRoot, { recursive: true });
    const app = createApp({
      services,
      grants,
      checkAgent: createAgentCheck(agentProcessEnv, workspaceRoot, sandbox),
      authenticate,
      metrics,
      checkReady: createReadiness(db, migrationNames),
      metricsToken: config.metricsToken,
      log,
      console: { supabase: config.supabase },
      expectStream: waiters.expectStream,
      waitForTurn: ({ tenantId: tenant, eventId }, signal, onText) =>
        waiters.wait(eventId, {
          // This process's worker settles its own turns at once; polling only finds turns other processes ran.
          findEvent: (id) => services.inbound.findEvent(tenant, id), pollMs: WAIT_POLL_MS, timeoutMs: config.waitTimeoutMs, signal,
          ...(onText ? { onText } : {}),
        }),
    });
    // Listening first: the agent CLIs of the first turns reach the memory tools at this address.
    const server = app.listen(config.port, config.host);
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

    const cliHost = { tenantHome: tenantHomes.of, env: agentProcessEnv, sandbox, log: warnLine };
    const providers = {
      echo: createEchoProvider(),
      claude: createClaudeProvider(cliHost),
      codex: createCodexProvider(cliHost),
      opencode: createOpencodeProvider(cliHost),
      openai: createOpenaiProvider({ env: agentProcessEnv }),
      anthropic: createAnthropicProvider({ env: agentProcessEnv }),
    };
    const mcpUrl = `${localUrl(config.host, port)}${MCP_PATH}`;
    const runner = createTurnRunner({ db, memories: services.memories, providers, grants, mcpUrl, textSink: waiters.textSink, log, metrics });
    // Wake-ups come as signals, from other processes too on PostgreSQL (NOTIFY): polling is a slow safety net.
    const pollMs = db.engine === 'pglite' ? 1000 : 5000;
    // Beside other processes (PostgreSQL), a lasting id lets a restarted worker free its predecessor's claims.
    const workerId = db.engine === 'pglite' ? undefined : await claimLastingId(config.home, 'turn-worker-id', warnLine);
    const worker = createTurnWorker({
      ...(workerId?.lasting ? { lastingId: workerId.id } : {}),
      db, runner, concurrency: config.concurrency, leaseMs: config.leaseMs, pollMs, onOutcome: (outcome) => {
        waiters.settle(outcome);
        services.outbox.notify();
        services.feed.nudge();
      },
      log,
    });
    wakeWorker = worker.wake;
    // Accepts here wake the worker themselves; their own notifications would only cost an empty claim.
    await db.listen('sb_turns', worker.wake, { othersOnly: true });
    await db.listen('sb_outbox', () => services.outbox.notify());
    await worker.start(db.engine === 'pglite');
    const housekeeping = setInterval(() => {
      db.vacuum(CHURNED_TABLES).catch((error: unknown) => log.error({ err: error }, 'vacuuming failed'));
    }, VACUUM_EVERY_MS);
    housekeeping.unref();
    await warnUnsandboxedAgents(services.agents, tenantId, warnLine);
    const where = `${db.engine}${config.databaseUrl ? '' : ` in ${config.home}`}`;
    log.info({ url, engine: db.engine }, 'listening');
    return { url, port, engine: db.engine, listening: `switchboard: listening on ${url} (${where})`, gatewayToken, onChannelsChanged: (listener) => services.channels.onChange(listener), close: () => closeAll(server, worker, db, housekeeping).finally(() => {
      workerId?.release();
      return sandbox.close();
    }) };
  } catch (error) {
    await db.close();
    throw error;
  }
}

/**
 * PGlite serves one process: every channel lease and reply claim in it is a dead predecessor's.
 * Given up at once, the gateway connects and the claimed replies go out without waiting them out.
 */
async function releaseDeadHolds(db: Db, log: Log): Promise<void> {
  const [leases, replies] = await db.adminTransaction(async (tx) => [await releaseAllLeases(tx), await releaseAllReplyClaims(tx)]);
  if (leases + replies > 0) log.info({ leases, replies }, `took over ${leases} channel lease(s) and ${replies} claimed reply(ies) from the previous process`);
}

/** How agent CLIs on this machine reach the server: a wildcard address is reached over loopback. */
function localUrl(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '') return `http://127.0.0.1:${port}`;
  if (host === '::') return `http://[::1]:${port}`;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

async function closeAll(server: Server, worker: ReturnType<typeof createTurnWorker>, db: { close(): Promise<void> }, housekeeping: NodeJS.Timeout): Promise<void> {
  clearInterval(housekeeping);
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await worker.stop();
  server.closeAllConnections();
  await closed;
  await db.close();
}
