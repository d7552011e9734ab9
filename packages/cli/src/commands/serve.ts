/**
 * `sb serve`: the server configured from the environment (SB_HOME, DATABASE_URL, SB_PORT, tokens),
 * with `--port` over SB_PORT, and the gateway for the configured channel accounts in the same
 * process (unless `--no-gateway`), talking to it with the gateway token. Stdout gets one line,
 * `switchboard: listening on <url>`, once it accepts requests; the server's and the gateway's log goes
 * to stderr (JSON lines, or readable ones in a terminal; SB_LOG_LEVEL, SB_LOG_CONTENT). Closes on SIGINT
 * or SIGTERM, the gateway first. The gateway's lease holder id lasts across restarts
 * (`$SB_HOME/gateway-holder`). The server and gateway modules are loaded only here, so the other
 * commands start fast.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { AppError, createApiClient, type ApiClient } from '@switchboard/shared';
import type { Config, LastingId, Log, LogOptions } from '@switchboard/api';
import type { CliContext } from '../cli-context';
import { parseFlags, PortText } from '../cli-flags';

export interface RunningServer {
  url: string;
  port: number;
  gatewayToken: string;
  onChannelsChanged(listener: () => void): void;
  close(): Promise<void>;
}

/** The part of `@switchboard/gateway` that `sb serve` and `sb gateway` use. */
export interface GatewayModule {
  startGateway(options: { client: ApiClient; log: (line: string) => void; holder?: string }): Promise<{ readonly accounts: string[]; sync(): Promise<void>; stop(): Promise<void> }>;
}

/** The part of `@switchboard/api` that `sb serve` uses. */
export interface ServerModule {
  parseConfig(env: Record<string, string | undefined>): Config;
  createLog(options: LogOptions): Log;
  startServer(config: Config, options: { log?: Log; env?: Record<string, string | undefined> }): Promise<RunningServer>;
  claimGatewayHolder(home: string, log: (line: string) => void): Promise<LastingId>;
}

export interface ServeDeps {
  context: CliContext;
  env: Record<string, string | undefined>;
  loadServer: () => Promise<ServerModule>;
  loadGateway: () => Promise<GatewayModule>;
  /** Resolves with the signal's name when the process is asked to stop. */
  untilShutdown: () => Promise<string>;
}

const ServeFlags = z.object({ port: PortText.optional(), gateway: z.boolean() });

export function registerServeCommand(program: Command, deps: ServeDeps): void {
  program
    .command('serve')
    .description('run the Switchboard server (embedded PGlite in $SB_HOME unless DATABASE_URL is set)')
    .option('--port <port>', 'the port to listen on (default: SB_PORT or 8787; 0 picks a free one)')
    .option('--no-gateway', 'do not connect the channel accounts (run `sb gateway` elsewhere)')
    .action(async (options: unknown, command: Command) => {
      const flags = parseFlags(ServeFlags, options);
      const out = deps.context.output(command);
      const server = await deps.loadServer();
      const config = readConfig(server, deps.env);
      const log = server.createLog({ level: config.logLevel, content: config.logContent });
      const running = await server.startServer({ ...config, ...(flags.port === undefined ? {} : { port: flags.port }) }, { log, env: deps.env });
      const shutdown = deps.untilShutdown();
      out.line(`switchboard: listening on ${running.url}`);
      // The API serves while the channel accounts connect (a platform that is down only delays its own account).
      // The same holder as before a restart: the leases and claims of a killed predecessor are taken back at once.
      const holder = flags.gateway ? await server.claimGatewayHolder(config.home, (line) => log.warn(line)) : undefined;
      const client = createApiClient({ baseUrl: running.url, token: running.gatewayToken });
      const gateway = holder
        ? await (await deps.loadGateway()).startGateway({ client, log: (line) => log.info({ component: 'gateway' }, line), holder: holder.id })
            .catch((error: unknown) => log.error({ err: error }, 'the gateway did not start'))
        : undefined;
      // An account added or removed here connects or disconnects at once (other changes: at the next refresh).
      if (gateway) running.onChannelsChanged(() => void gateway.sync().catch((error: unknown) => log.error({ err: error }, 'syncing the channel accounts failed')));
      const signal = await shutdown;
      out.line(`switchboard: ${signal}, closing`);
      await gateway?.stop();
      holder?.release();
      await running.close();
      out.line('switchboard: stopped');
    });
}

function readConfig(server: ServerModule, env: Record<string, string | undefined>): Config {
  try {
    return server.parseConfig(env);
  } catch (error) {
    if (!(error instanceof z.ZodError)) throw error;
    const issues = error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new AppError('invalid_input', `bad environment: ${issues}`);
  }
}
