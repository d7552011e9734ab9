/**
 * The `sb` program: global `--url`, `--json` and `--wide`, one subcommand per noun. `runCli` parses argv and
 * returns the exit code: 0, commander's own for usage errors and help, 1 after printing one line
 * for any other failure. Nothing here touches the process; main.ts passes it in.
 */
import { Command, CommanderError } from 'commander';
import { createCliContext } from './cli-context';
import { formatCliError } from './cli-errors';
import { fitting, type CliIo } from './cli-output';
import { toTerminalText } from './cli-terminal-text';
import type { WhatsappLogin } from './commands/channels';
import { registerAgentsCommand } from './commands/agents';
import { registerChatCommand } from './commands/chat';
import { registerContactsCommand } from './commands/contacts';
import { registerDoctorCommand } from './commands/doctor';
import { registerTenantsCommand } from './commands/tenants';
import { registerMemoriesCommand } from './commands/memories';
import { registerPairingCommand } from './commands/pairing';
import { registerServeCommand, type GatewayModule, type ServerModule } from './commands/serve';
import { registerGatewayCommand } from './commands/gateway';
import { registerChannelsCommand } from './commands/channels';
import { registerOutboxCommand } from './commands/outbox';
import { registerSessionsCommand } from './commands/sessions';

export interface CliDeps {
  env: Record<string, string | undefined>;
  io: CliIo;
  /** The HTTP transport of the client; tests pass a fake server's. */
  fetch?: typeof fetch;
  /** `sb chat`'s interactive input, and where its prompt goes (none when not a terminal). */
  input: NodeJS.ReadableStream;
  prompt?: NodeJS.WritableStream | undefined;
  loadServer: () => Promise<ServerModule>;
  loadGateway: () => Promise<GatewayModule & WhatsappLogin>;
  untilShutdown: () => Promise<string>;
}

export function createCliProgram(deps: CliDeps): Command {
  const context = createCliContext({ env: deps.env, io: deps.io, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  const program = new Command('sb')
    .description('Switchboard: one agent gateway for many contacts')
    .option('--url <url>', 'the Switchboard server (default: SB_URL or http://127.0.0.1:<SB_PORT or 8787>)')
    .option('--json', 'print machine-readable JSON instead of tables')
    .option('--wide', 'print whole table cells, however wide (in a terminal, tables otherwise fit its width)')
    .configureOutput({
      writeOut: deps.io.out, writeErr: deps.io.err,
      getOutHelpWidth: () => deps.io.columns ?? 80, getErrHelpWidth: () => deps.io.errColumns ?? 80,
    })
    .exitOverride()
    .showHelpAfterError('(run sb --help for usage)');
  registerServeCommand(program, { context, env: deps.env, loadServer: deps.loadServer, loadGateway: deps.loadGateway, untilShutdown: deps.untilShutdown });
  registerGatewayCommand(program, { context, env: deps.env, loadGateway: deps.loadGateway, loadServer: deps.loadServer, untilShutdown: deps.untilShutdown });
  registerChannelsCommand(program, { context, loadGateway: deps.loadGateway });
  registerOutboxCommand(program, { context });
  registerChatCommand(program, { context, input: deps.input, prompt: deps.prompt });
  registerContactsCommand(program, { context });
  registerSessionsCommand(program, { context });
  registerMemoriesCommand(program, { context });
  registerPairingCommand(program, { context });
  registerAgentsCommand(program, { context });
  registerDoctorCommand(program, { context });
  registerTenantsCommand(program, { context });
  return program;
}

/** Runs `sb` with the arguments after the program name; resolves with the exit code. */
export async function runCli(args: string[], deps: CliDeps): Promise<number> {
  try {
    await createCliProgram(deps).parseAsync(args, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    // The message may quote the server (an error it answered, a name it stored): made inert too.
    fitting(deps.io.err, deps.io.errColumns)(`sb: ${toTerminalText(formatCliError(error))}\n`);
    return 1;
  }
}
