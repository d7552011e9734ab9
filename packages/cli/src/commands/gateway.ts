/**
 * `sb gateway`: the channel adapters alone, against a Switchboard API elsewhere (`--api-url`),
 * with the gateway token (SB_GATEWAY_TOKEN, else `$SB_HOME/gateway-token`) and the lasting holder id
 * of `$SB_HOME/gateway-holder` (a restart takes back its leases at once). Runs until SIGINT or
 * SIGTERM; the API must be reachable and the token accepted at start.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { AppError, createApiClient } from '@switchboard/shared';
import type { CliContext } from '../cli-context';
import { readTokenFile } from '../cli-context';
import { parseFlags, ServerUrl } from '../cli-flags';
import type { GatewayModule, ServerModule } from './serve';

export interface GatewayDeps {
  context: CliContext;
  env: Record<string, string | undefined>;
  loadGateway: () => Promise<GatewayModule>;
  /** Where the lasting holder id comes from (the server module's home files). */
  loadServer: () => Promise<Pick<ServerModule, 'claimGatewayHolder'>>;
  untilShutdown: () => Promise<string>;
}

const GatewayFlags = z.object({ apiUrl: ServerUrl });

export function registerGatewayCommand(program: Command, deps: GatewayDeps): void {
  program
    .command('gateway')
    .description('run the channel adapters against a Switchboard API (the gateway token from SB_GATEWAY_TOKEN or $SB_HOME/gateway-token)')
    .requiredOption('--api-url <url>', 'the Switchboard API, e.g. https://switchboard.example.com')
    .action(async (options: unknown, command: Command) => {
      const { apiUrl } = parseFlags(GatewayFlags, options);
      const out = deps.context.output(command);
      const client = createApiClient({ baseUrl: apiUrl, token: gatewayToken(deps.env) });
      await client.channels.forGateway().catch((error: unknown) => {
        throw new AppError('unavailable', `cannot use the API at ${apiUrl}: ${error instanceof Error ? error.message : String(error)}`);
      });
      const shutdown = deps.untilShutdown();
      const holder = await (await deps.loadServer()).claimGatewayHolder(homeOf(deps.env), out.warn);
      const gateway = await (await deps.loadGateway()).startGateway({ client, log: out.warn, holder: holder.id });
      out.line(`gateway: running against ${apiUrl} with ${gateway.accounts.length} account(s): ${gateway.accounts.join(', ') || 'none yet'}`);
      const signal = await shutdown;
      out.line(`gateway: ${signal}, closing`);
      await gateway.stop();
      holder.release();
      out.line('gateway: stopped');
    });
}

function gatewayToken(env: Record<string, string | undefined>): string {
  if (env.SB_GATEWAY_TOKEN) return env.SB_GATEWAY_TOKEN;
  const path = join(homeOf(env), 'gateway-token');
  const token = readTokenFile(path);
  if (!token) throw new AppError('not_found', `no gateway token: set SB_GATEWAY_TOKEN or copy the server's ${path}`);
  return token;
}

function homeOf(env: Record<string, string | undefined>): string {
  return env.SB_HOME || join(homedir(), '.switchboard');
}
